/**
 * `list-checks` prints each check's requirements readably (issue 13): before, the text format printed
 * `[ISO27001:2022 A.8.13, HDS, HDS]`, dropping the HDS requirement itself. Independent of which controls each check
 * cites: every control of the JSON catalogue must appear, whole, on its own line under its check.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

interface Listed {
  id: string;
  controls: Array<{ framework: string; control: string; name?: string }>;
}

describe('list-checks', () => {
  it('text: one line per requirement under each check, framework and control in full', async () => {
    const json = JSON.parse((await runCli(['list-checks', '--format', 'json'])).stdout) as Listed[];
    const r = await runCli(['list-checks']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /\[ISO|, HDS[,\]]/);
    const lines = r.stdout.split('\n');
    for (const check of json) {
      const at = lines.findIndex((line) => line.startsWith(`${check.id} `));
      assert.ok(at >= 0, `${check.id} is listed`);
      const under: string[] = [];
      for (let i = at + 1; i < lines.length && /^\s+- /.test(lines[i]!); i++) under.push(lines[i]!.trim());
      assert.equal(under.length, check.controls.length, `${check.id}: one line per control\n${under.join('\n')}`);
      for (const [i, c] of check.controls.entries()) assert.ok(under[i]!.startsWith(`- ${c.framework} ${c.control}`), `${check.id}: ${under[i]}`);
    }
  });

  it('json: controls are structured, with the human name of a known ISO control', async () => {
    const json = JSON.parse((await runCli(['list-checks', '--format', 'json'])).stdout) as Listed[];
    for (const check of json) {
      assert.ok(check.controls.length > 0, check.id);
      for (const c of check.controls) {
        assert.equal(typeof c.framework, 'string');
        assert.equal(typeof c.control, 'string');
      }
    }
    const backup = json.flatMap((c) => c.controls).find((c) => c.framework === 'ISO27001:2022' && c.control === 'A.8.13');
    assert.equal(backup?.name, 'Information backup');
  });
});
