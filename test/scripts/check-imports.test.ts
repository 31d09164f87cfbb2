/**
 * The import rules' script (scripts/check-imports.mjs) on small trees of its own: it must fail on each broken rule,
 * not only pass on today's src/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';

const SCRIPT = join(import.meta.dirname, '../../scripts/check-imports.mjs');
const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'restorecheck-imports-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

function check(root: string) {
  const r = spawnSync(process.execPath, [SCRIPT, '--root', root], { encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

describe('scripts/check-imports.mjs', () => {
  it('passes a tree that keeps the rules, dynamic imports of the simulator included', async () => {
    const root = await tree({
      'vocabulary.ts': "import { z } from 'zod';\nexport const x = z;\n",
      'run/runner.ts': "import type { x } from '../vocabulary.js';\nexport const run = 1;\n",
      'cli/commands/demo.ts': "export async function demo() { return import('../../simulator/sandbox.js'); }\n",
      'simulator/sandbox.ts': "import { run } from '../run/runner.js';\nexport const sandbox = run;\n",
    });
    const r = check(root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no import circle/);
  });

  it('fails on an import circle, type-only imports included, and names its files', async () => {
    const root = await tree({
      'checks/types.ts': "import type { Gateways } from '../run/gateways.js';\nexport type C = Gateways;\n",
      'run/gateways.ts': "import type { C } from '../checks/types.js';\nexport type Gateways = { c?: C };\n",
    });
    const r = check(root);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /import circle of 2 files: checks\/types\.ts, run\/gateways\.ts/);
  });

  it('fails on a static import of the simulator from production code, on run/ importing report/, and on vocabulary importing ours', async () => {
    const root = await tree({
      'cli/commands/simulator.ts': "import { start } from '../../simulator/resource-manager.js';\nexport const s = start;\n",
      'simulator/resource-manager.ts': 'export const start = 1;\n',
      'run/gateways.ts': "export { readStoredReports } from '../report/history.js';\n",
      'report/history.ts': 'export const readStoredReports = 1;\n',
      'vocabulary.ts': "import { e } from './errors.js';\nexport const v = e;\n",
      'errors.ts': 'export const e = 1;\n',
    });
    const r = check(root);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /production code imports the simulator: cli\/commands\/simulator\.ts → simulator\/resource-manager\.ts/);
    assert.match(r.stderr, /run\/ imports report\/: run\/gateways\.ts → report\/history\.ts/);
    assert.match(r.stderr, /vocabulary\.ts must import nothing of ours: it imports errors\.ts/);
  });
});
