/**
 * The orchestration of the component restore tests (src/restore/component-restores.ts) on archives packed by GNU tar,
 * read by the real verifyArchive: recording sessions stand in for the throwaway servers here (those are tested against
 * real servers in test/selfhosted/*-restore.test.ts, and end to end in test/restore/archive-restore-test.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { verifyArchive } from '../../src/archive/verify-archive.js';
import { parseConfigText } from '../../src/config/load.js';
import { RestoreFailedError } from '../../src/errors.js';
import { ComponentRestores } from '../../src/restore/component-restores.js';
import type { ComponentRestoreTest, RestoreComparison } from '../../src/selfhosted/component.js';
import type { JsonValue } from '../../src/vocabulary.js';

const name = 'medicapp_production_20261121_030000.tar.gz';
const stem = name.slice(0, -'.tar.gz'.length);
const limits = { maxExpansionRatio: 200, maxTotalBytes: 2 ** 40, maxEntries: 100_000, maxMinioEntries: 10_000_000 };
const { config } = parseConfigText('environment: production\n', 'c.yaml', {});
const quiet = { info: () => undefined, debug: () => undefined };
let work: string;
let cases = 0;

async function pack(files: Record<string, Buffer>): Promise<string> {
  const dir = join(work, `case-${++cases}`);
  for (const [member, content] of Object.entries(files)) {
    await mkdir(join(dir, 'staging', stem, member, '..'), { recursive: true });
    await writeFile(join(dir, 'staging', stem, member), content);
  }
  // metadata.json first, as restorecheck writes it (the others in name order)
  const members = ['metadata.json', ...Object.keys(files).filter((m) => m !== 'metadata.json')].map((m) => `${stem}/${m}`);
  execFileSync('tar', ['-czf', name, '-C', 'staging', ...members], { cwd: dir });
  return join(dir, name);
}

/** A session that records what it was given, and compares the byte count of what it loaded with `recorded.bytes`. */
function recorder(behaviour: { unavailable?: string; loadError?: Error } = {}) {
  const events: string[] = [];
  let bytes = 0;
  const test: ComponentRestoreTest = {
    unavailable: async () => behaviour.unavailable,
    start: async () => {
      events.push('start');
      return {
        target: 'recording target',
        load: async (member: string, content: Readable) => {
          events.push(`load ${member}`);
          for await (const chunk of content) bytes += (chunk as Buffer).length;
          if (behaviour.loadError) throw behaviour.loadError;
        },
        compare: async (recorded: Record<string, JsonValue> | undefined): Promise<RestoreComparison> => {
          events.push(`compare ${JSON.stringify(recorded ?? null)}`);
          const expected = recorded?.bytes;
          return expected === bytes
            ? { restored: { bytes }, matched: ['bytes'], differences: [], notCompared: [] }
            : { restored: { bytes }, matched: [], differences: [`${bytes} bytes restored, the metadata records ${String(expected)}`], notCompared: [] };
        },
        dispose: async () => {
          events.push('dispose');
          return { removed: ['recording target'], leftover: [] };
        },
      };
    },
  };
  return { test, events };
}

const sql = Buffer.from(`-- MariaDB dump\n${'INSERT INTO t VALUES (1);\n'.repeat(5000)}-- Dump completed\n`);
function metadataWith(bytes: number): Buffer {
  return Buffer.from(JSON.stringify({ environment: 'production', timestamp: '2026-11-21T03:00:00Z', components: { mariadb: { backed_up: true, bytes } } }));
}

async function run(
  path: string,
  restores: ComponentRestores,
  discard: (member: string) => { reason: string; status: 'fail' | 'error' } | undefined = () => undefined,
) {
  const verification = await verifyArchive(path, {
    limits,
    tap: (member) => restores.tap(member),
    onMetadata: (m) => restores.onMetadata(m),
  });
  return restores.finish({ metadata: verification.metadata.value, discardReason: discard });
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-components-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('component restores driven by the one read of the archive', () => {
  const options = () => ({ config, runId: 'r1', signal: new AbortController().signal, log: quiet, startedAt: performance.now() });

  it('starts on metadata.json, loads the decompressed member, compares with the metadata, removes', async () => {
    const { test, events } = recorder();
    const results = await run(
      await pack({ 'metadata.json': metadataWith(sql.length), 'mariadb_full.sql.gz': gzipSync(sql) }),
      new ComponentRestores({ ...options(), registry: { mariadb: test } }),
    );
    assert.deepEqual(events, ['start', 'load mariadb_full.sql.gz', `compare {"backed_up":true,"bytes":${sql.length}}`, 'dispose']);
    assert.equal(results.mariadb?.state, 'restored');
    assert.deepEqual(results.mariadb?.comparison?.matched, ['bytes']);
    assert.deepEqual(results.mariadb?.cleanup.removed, ['recording target']);
    assert.equal(typeof results.mariadb?.restoreSeconds, 'number');
  });

  it('a difference in what was loaded reaches the result', async () => {
    const { test } = recorder();
    const results = await run(
      await pack({ 'metadata.json': metadataWith(sql.length + 1), 'mariadb_full.sql.gz': gzipSync(sql) }),
      new ComponentRestores({ ...options(), registry: { mariadb: test } }),
    );
    assert.match(results.mariadb?.comparison?.differences[0] ?? '', /the metadata records/);
  });

  it('a member that failed verification is discarded: not compared, still removed', async () => {
    const { test, events } = recorder();
    const results = await run(
      await pack({ 'metadata.json': metadataWith(sql.length), 'mariadb_full.sql.gz': gzipSync(sql) }),
      new ComponentRestores({ ...options(), registry: { mariadb: test } }),
      (member) => (member === 'mariadb_full.sql.gz' ? { reason: 'no "-- Dump completed" line', status: 'fail' } : undefined),
    );
    assert.equal(results.mariadb?.discarded, 'no "-- Dump completed" line');
    assert.ok(!events.some((e) => e.startsWith('compare')));
    assert.ok(events.includes('dispose'));
  });

  it('content that does not restore is a restore failure; the session is removed', async () => {
    const { test, events } = recorder({ loadError: new RestoreFailedError('ERROR 1064 at line 3', 'fix the dump') });
    const results = await run(
      await pack({ 'metadata.json': metadataWith(sql.length), 'mariadb_full.sql.gz': gzipSync(sql) }),
      new ComponentRestores({ ...options(), registry: { mariadb: test } }),
    );
    assert.equal(results.mariadb?.state, 'failed');
    assert.deepEqual(results.mariadb?.failure, { kind: 'restore-failed', message: 'ERROR 1064 at line 3', hint: 'fix the dump' });
    assert.ok(events.includes('dispose'));
  });

  it('without the tools, skipped with the reason and nothing started; a component not in the archive has no result', async () => {
    const mariadb = recorder({ unavailable: 'mariadbd not installed' });
    const redis = recorder();
    const results = await run(
      await pack({ 'metadata.json': metadataWith(sql.length), 'mariadb_full.sql.gz': gzipSync(sql) }),
      new ComponentRestores({ ...options(), registry: { mariadb: mariadb.test, redis: redis.test } }),
    );
    assert.equal(results.mariadb?.state, 'skipped');
    assert.equal(results.mariadb?.reason, 'mariadbd not installed');
    assert.deepEqual(mariadb.events, []);
    assert.equal(results.redis, undefined);
    assert.deepEqual(redis.events, []);
  });

  it('an archive without metadata starts the session when the member arrives, and compares with nothing recorded', async () => {
    const { test, events } = recorder();
    const results = await run(
      await pack({ 'metadata.json': Buffer.from('not json'), 'mariadb_full.sql.gz': gzipSync(sql) }),
      new ComponentRestores({ ...options(), registry: { mariadb: test } }),
    );
    assert.deepEqual(events.slice(0, 3), ['start', 'load mariadb_full.sql.gz', 'compare null']);
    assert.equal(results.mariadb?.state, 'restored');
  });
});
