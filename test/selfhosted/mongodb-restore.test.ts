/**
 * The MongoDB restore test. mongod and mongorestore are not installed on this machine (not packaged by Debian, nothing
 * downloaded), so what runs here is the unavailable path: the reason the check is `skipped`. The real restore below
 * runs only where both are on PATH; it is skipped here, never faked.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/load.js';
import { mongodbRestoreTest } from '../../src/selfhosted/throwaway-mongod.js';
import { mongodb } from '../../src/selfhosted/mongodb.js';
import { onPath } from '../../src/selfhosted/tool-process.js';
import { SILENT_LOGGER } from '../../src/vocabulary.js';
import { writeMongoArchive } from '../fixtures/archive-generator.js';
import { type Workspace, withPath, workspace } from '../helpers/component-harness.js';

const { config } = parseConfigText('environment: test\n', 'restorecheck.yaml', {});
const installed = onPath('mongod') !== undefined && onPath('mongorestore') !== undefined;

let ws: Workspace;
before(async () => {
  ws = await workspace('mongo-restore-test');
});
after(async () => {
  await ws?.remove();
});

/** A folder holding executables of these names (never run: only found on PATH). */
async function binWith(name: string, programs: string[]): Promise<string> {
  const bin = join(ws.dir, name);
  await mkdir(bin, { recursive: true });
  for (const program of programs) {
    await writeFile(join(bin, program), '#!/bin/sh\nexit 1\n');
    await chmod(join(bin, program), 0o755);
  }
  return bin;
}

describe('mongodb restore test', () => {
  it('is the component module’s restore test', () => {
    assert.equal(mongodb.restoreTest, mongodbRestoreTest);
  });

  it('without mongod and mongorestore on PATH it is unavailable, with the reason', async () => {
    const empty = await binWith('empty-bin', []);
    await withPath(empty, async () => {
      assert.equal(await mongodbRestoreTest.unavailable(), 'mongod/mongorestore not installed');
    });
    const halfway = await binWith('only-mongod', ['mongod']);
    await withPath(halfway, async () => {
      assert.equal(await mongodbRestoreTest.unavailable(), 'mongod/mongorestore not installed', 'both are needed');
    });
    const both = await binWith('both', ['mongod', 'mongorestore']);
    await withPath(both, async () => {
      assert.equal(await mongodbRestoreTest.unavailable(), undefined, 'available once both are found');
    });
  });

  it('on this machine: unavailable exactly when the tools are missing', async () => {
    assert.equal(await mongodbRestoreTest.unavailable(), installed ? undefined : 'mongod/mongorestore not installed');
  });

  it('a mongodump archive goes through mongorestore --dryRun against a throwaway mongod', {
    skip: installed ? false : 'mongod/mongorestore not installed',
  }, async () => {
    const raw = join(ws.dir, 'dump.archive');
    await writeMongoArchive(raw, 50);
    const session = await mongodbRestoreTest.start({ runId: 'test', signal: AbortSignal.timeout(300_000), log: SILENT_LOGGER, config });
    try {
      await session.load('mongodb/dump.archive.gz', createReadStream(raw));
      const comparison = await session.compare({ tool_version: 'mongodump version: 100.10.0', dump_bytes: 1 });
      assert.deepEqual(comparison.differences, []);
      assert.ok(comparison.notCompared.length > 0, 'a dry run compares no count: never a silent pass');
      assert.equal(typeof comparison.restored.archive_bytes, 'number');
    } finally {
      const { leftover } = await session.dispose();
      assert.deepEqual(leftover, []);
    }
  });
});
