/**
 * Issue 10 (archive, items 8 and 2): inputs that real tools produce and verify must judge right —
 * sidecars written with a path or in BSD tag format, MinIO data packed as a folder's contents
 * (`./` entries), metadata.json with a repeated key, a pax global header naming `../../x`, and
 * several Alembic heads. Every archive and sidecar here is made by sha256sum, GNU tar or Python's tarfile.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseSidecar } from '../../src/archive/sidecar.js';

let work: string;
const name = 'medicapp_production_20261121_030000.tar.gz';

function sh(script: string, cwd = work): Buffer {
  return execFileSync('bash', ['-c', script], { cwd });
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-edge-'));
  await writeFile(join(work, name), 'not really an archive, only hashed here\n');
  await writeFile(join(work, 'other.tar.gz'), 'another file\n');
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('sidecar written by sha256sum with a path, binary marker or --tag', () => {
  const expected = () => sh(`sha256sum ${name}`).toString().split(' ')[0]!;
  for (const [label, command] of [
    ['an absolute path', `sha256sum "$PWD/${name}"`],
    ['./', `sha256sum ./${name}`],
    ['an absolute path and the binary marker', `sha256sum -b "$PWD/${name}"`],
    ['BSD --tag format', `sha256sum --tag ${name}`],
    ['BSD --tag format with a path', `sha256sum --tag "$PWD/${name}"`],
  ] as const) {
    it(`accepts ${label} when the base name is the archive's`, () => {
      const bytes = sh(command);
      const parsed = parseSidecar(bytes, name);
      assert.equal(parsed.ok, true, `${bytes.toString()} → ${JSON.stringify(parsed)}`);
      if (parsed.ok) assert.equal(parsed.sidecar.sha256, expected());
    });
  }
  for (const [label, command] of [
    ['a path to another file', `sha256sum "$PWD/other.tar.gz"`],
    ['--tag naming another file', `sha256sum --tag other.tar.gz`],
    ['--tag naming another file by path', `sha256sum --tag "$PWD/other.tar.gz"`],
  ] as const) {
    it(`refuses ${label}`, () => {
      const parsed = parseSidecar(sh(command), name);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.problem, /other\.tar\.gz/);
    });
  }
  it('refuses a --tag line of another algorithm', () => {
    const parsed = parseSidecar(sh(`sha512sum --tag ${name}`), name);
    assert.equal(parsed.ok, false);
  });
});
