/**
 * Where the demo's Azurite comes from (Azurite is a devDependency, not in a global install): the package installed beside
 * restorecheck, else one fetched before into the cache, else fetched now with npm (a stand-in npm here, which records its
 * arguments and installs a stub), with a message; a failed fetch is a clear error. The pinned version is the lock's.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AZURITE_VERSION, locateAzurite } from '../../src/simulator/azurite.js';

const dir = mkdtempSync(join(tmpdir(), 'restorecheck-azurite-locate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An npm that records its arguments and, when `works`, installs a stub azurite under --prefix. */
function fakeNpm(name: string, works: boolean): { path: string; argsFile: string } {
  const path = join(dir, name);
  const argsFile = join(dir, `${name}.args`);
  const install = works
    ? 'mkdir -p "$prefix/node_modules/azurite/dist/src/blob" && echo stub > "$prefix/node_modules/azurite/dist/src/blob/main.js"'
    : 'echo "npm error 404 Not Found" >&2; exit 1';
  writeFileSync(
    path,
    `#!/bin/sh\nprintf '%s\\n' "$@" > "${argsFile}"\nprefix=""\nwhile [ $# -gt 0 ]; do [ "$1" = --prefix ] && prefix="$2"; shift; done\n${install}\n`,
  );
  chmodSync(path, 0o755);
  return { path, argsFile };
}

describe('locateAzurite', () => {
  it('the pinned version is the one package-lock.json installs for the tests, and a devDependency', () => {
    const lock = JSON.parse(readFileSync(join(import.meta.dirname, '../../package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; dev?: boolean }>;
    };
    assert.equal(lock.packages['node_modules/azurite']?.version, AZURITE_VERSION);
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as Record<string, Record<string, string>>;
    assert.equal(pkg.dependencies!.azurite, undefined, 'not a runtime dependency: a global install does not carry 186 MB for the demo');
    assert.ok(pkg.devDependencies!.azurite);
  });

  it('uses the installed package when there is one (a checkout: the tests)', async () => {
    const entry = await locateAzurite({ cacheRoot: join(dir, 'unused'), npm: join(dir, 'no-npm') });
    assert.match(entry, /node_modules\/azurite\/dist\/src\/blob\/main\.js$/);
    assert.ok(existsSync(entry));
    assert.equal(existsSync(join(dir, 'unused')), false, 'nothing fetched');
  });

  it('without one, fetches the pinned version once with npm into the cache, saying so, then reuses it', async () => {
    const npm = fakeNpm('npm-ok', true);
    const cacheRoot = join(dir, 'cache');
    const messages: string[] = [];
    const entry = await locateAzurite({ installed: () => undefined, cacheRoot, npm: npm.path, log: (m) => messages.push(m) });
    assert.equal(entry, join(cacheRoot, `azurite-${AZURITE_VERSION}`, 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js'));
    assert.ok(existsSync(entry));
    const args = readFileSync(npm.argsFile, 'utf8').trim().split('\n');
    assert.equal(args[0], 'install');
    assert.equal(args.at(-1), `azurite@${AZURITE_VERSION}`);
    assert.ok(args.includes('--ignore-scripts'));
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, new RegExp(`fetching azurite@${AZURITE_VERSION.replaceAll('.', '\\.')} from the npm registry into `));
    assert.deepEqual(readdirSync(cacheRoot), [`azurite-${AZURITE_VERSION}`], 'no partial folder left');

    rmSync(npm.argsFile);
    const again = await locateAzurite({ installed: () => undefined, cacheRoot, npm: npm.path, log: (m) => messages.push(m) });
    assert.equal(again, entry);
    assert.equal(existsSync(npm.argsFile), false, 'not fetched twice');
    assert.equal(messages.length, 1);
  });

  it('a failed fetch (or no npm) is a clear error naming the fix, and leaves no partial folder', async () => {
    const cacheRoot = join(dir, 'cache-failed');
    await assert.rejects(locateAzurite({ installed: () => undefined, cacheRoot, npm: fakeNpm('npm-404', false).path }), (error: Error & { hint?: string }) => {
      assert.match(error.message, /could not fetch azurite@.* with npm \(exit 1\): npm error 404 Not Found/);
      assert.match(error.hint ?? '', /npm can reach its registry/);
      return true;
    });
    assert.deepEqual(readdirSync(cacheRoot), []);
    mkdirSync(join(dir, 'empty'));
    await assert.rejects(locateAzurite({ installed: () => undefined, cacheRoot, npm: join(dir, 'empty', 'npm') }), /npm not found/);
  });
});
