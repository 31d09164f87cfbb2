import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { checks } from '../../src/checks/index.js';

const checksDir = join(import.meta.dirname, '../../src/checks');
const testsDir = import.meta.dirname;

describe('check registry', () => {
  it('has unique ids', () => {
    const ids = checks.map((c) => c.id);
    assert.deepEqual([...new Set(ids)].sort(), [...ids].sort());
  });

  it('registers exactly one check per file, named as its id', () => {
    const files = readdirSync(checksDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.includes('/') && f.endsWith('.ts'))
      .map((f) => f.split('/').pop()!.replace(/\.ts$/, ''))
      .sort();
    assert.deepEqual(files, checks.map((c) => c.id).sort());
  });

  it('gives every check the metadata an auditor needs', () => {
    for (const check of checks) {
      assert.match(check.id, /^[a-z0-9]+(-[a-z0-9]+)*$/, check.id);
      for (const key of ['title', 'description', 'risk', 'remediation'] as const) assert.ok(check[key].length > 10, `${check.id}.${key}`);
      assert.ok(
        check.controls.some((c) => c.framework === 'ISO27001:2022'),
        `${check.id} cites ISO 27001`,
      );
    }
  });

  it('every check has its own test file next to its siblings', () => {
    // The group is the folder of the check's source file: src/checks/<group>/<id>.ts is tested in test/checks/<group>/<id>.test.ts.
    const groupOf = new Map(
      readdirSync(checksDir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.includes('/') && f.endsWith('.ts'))
        .map((f) => [f.split('/').pop()!.replace(/\.ts$/, ''), dirname(f)]),
    );
    const missing = checks
      .map((check) => join(groupOf.get(check.id) ?? '(no source file)', `${check.id}.test.ts`))
      .filter((file) => !existsSync(join(testsDir, file)));
    assert.deepEqual(missing, [], `checks without their test file under test/checks/: ${missing.join(', ')}`);
  });
});
