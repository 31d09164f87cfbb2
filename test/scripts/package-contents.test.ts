/**
 * What the published package carries and pulls in: LICENSE and the docs in the tarball (`npm pack --dry-run`, which
 * reads the working tree only), and runtime dependencies that are only what check and restore-test need. The Azure
 * SDKs are bundled into dist/cli by scripts/bundle-cli.mjs and Azurite is fetched by the demo when it runs, so neither
 * is a dependency: with them, a global install weighed 303 MB; without, 35 MB (README, "Install size").
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license: string; dependencies: Record<string, string> };

describe('the package', () => {
  it('ships LICENSE (MIT, as package.json says) and the docs', () => {
    const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(packed.status, 0, packed.stderr);
    const files = (JSON.parse(packed.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    for (const path of ['LICENSE', 'README.md', 'docs/contract.md', 'docs/architecture.md', 'dist/cli/main.js', 'schemas/report.schema.json'])
      assert.ok(files.includes(path), `${path} is in the package`);
    assert.equal(pkg.license, 'MIT');
    assert.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} the restorecheck authors\n/);
  });

  it('depends at run time only on what check and restore-test load from node_modules', () => {
    // pg (native binding decided at run time) and playwright-core (--format pdf) stay external; yargs, yaml and zod are
    // bundled too but also serve tsc's dist/ files. Anything else belongs in the bundle or in devDependencies.
    assert.deepEqual(Object.keys(pkg.dependencies).sort(), ['pg', 'playwright-core', 'yaml', 'yargs', 'zod']);
  });
});
