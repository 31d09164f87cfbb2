#!/usr/bin/env bash
# `npm run demo`: installs what the demo needs when it is missing, then runs `restorecheck demo`.
# The demo's sandbox runs the machine's own PostgreSQL server binaries (Debian's `postgresql`);
# everything else (Azurite, a devDependency, and the Azure simulator) comes with `npm ci`. A global install of the
# package has no Azurite: there `restorecheck demo` fetches the pinned version from the npm registry, once.
set -euo pipefail
cd "$(dirname "$0")/.."

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || [ -x "${PG_BIN:-/nonexistent}/initdb" ]; }

if ! have_postgres; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing Debian's postgresql (the demo runs a throwaway PostgreSQL server)…" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  else
    echo "the demo needs PostgreSQL's server binaries (initdb, pg_ctl): install PostgreSQL 13 or newer, or set PG_BIN to their directory" >&2
    exit 2
  fi
fi
[ -d node_modules ] && [ -f dist/cli/main.js ] || npm ci --no-audit --no-fund
exec node dist/cli/main.js demo "$@"
