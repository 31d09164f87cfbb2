/**
 * Issue 15: one read of the archive drives verification and the restore. A consumer tapped into verifyArchive gets each
 * member's content (decompressed) exactly once, sees an error when the member is cut, and cannot change the verdict by
 * failing or stopping early. The archives are made by GNU tar and gzip.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { verifyArchive } from '../../src/archive/verify-archive.js';

const name = 'medicapp_production_20261121_030000.tar.gz';
const stem = name.slice(0, -'.tar.gz'.length);
const limits = { maxExpansionRatio: 200, maxTotalBytes: 2 ** 40, maxEntries: 100_000, maxMinioEntries: 10_000_000 };
let work: string;
let cases = 0;

async function pack(files: Record<string, Buffer>): Promise<string> {
  const dir = join(work, `case-${++cases}`);
  for (const [member, content] of Object.entries(files)) {
    await mkdir(join(dir, 'staging', stem, member, '..'), { recursive: true });
    await writeFile(join(dir, 'staging', stem, member), content);
  }
  execFileSync('sh', ['-c', `tar --sort=name -czf ${name} -C staging ${stem} && sha256sum ${name} > ${name}.sha256`], { cwd: dir });
  return join(dir, name);
}

async function sha256Of(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

const metadata = Buffer.from(JSON.stringify({ environment: 'production', timestamp: '2026-11-21T03:00:00Z' }));
// Several MiB of incompressible-ish SQL so that backpressure is exercised (more than the tee's buffer).
const sql = Buffer.concat([
  Buffer.from('-- MariaDB dump 10.19\n'),
  Buffer.from(randomBytes(3 * 1024 * 1024).toString('base64')),
  Buffer.from('\n-- Dump completed on 2026-11-21  3:00:00\n'),
]);

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'restorecheck-tap-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('verifyArchive with a member tap', () => {
  it('hands the decompressed member to the consumer once, and resolves after the consumer has finished', async () => {
    const path = await pack({ 'metadata.json': metadata, 'mariadb_full.sql.gz': gzipSync(sql) });
    const seen: string[] = [];
    let got: { sha256: string; bytes: number } | undefined;
    let metadataSeen: unknown;
    const verification = await verifyArchive(path, {
      limits,
      onMetadata: (m) => {
        metadataSeen = m.environment;
      },
      tap: (member, kind) => {
        seen.push(`${member}:${kind}`);
        return async (content) => {
          // A slow consumer: the walk must wait for it, and verifyArchive must not resolve before it ends.
          await new Promise((r) => setTimeout(r, 50));
          got = await sha256Of(content);
          await new Promise((r) => setTimeout(r, 50));
        };
      },
    });
    assert.deepEqual(seen, ['mariadb_full.sql.gz:mariadb-dump']);
    assert.equal(metadataSeen, 'production');
    assert.ok(got, 'the consumer finished before verifyArchive resolved');
    assert.deepEqual(got, { sha256: createHash('sha256').update(sql).digest('hex'), bytes: sql.length });
    assert.equal(verification.dumps.find((d) => d.path === 'mariadb_full.sql.gz')?.problem, undefined);
  });

  it('a truncated member reaches the consumer as an error, never as a normal end', async () => {
    const gz = gzipSync(sql);
    const path = await pack({ 'metadata.json': metadata, 'mariadb_full.sql.gz': gz.subarray(0, gz.length - 1000) });
    let outcome: string | undefined;
    const verification = await verifyArchive(path, {
      limits,
      tap: () => async (content) => {
        try {
          await sha256Of(content);
          outcome = 'ended';
        } catch (error) {
          outcome = `error: ${(error as Error).message}`;
        }
      },
    });
    assert.match(outcome ?? '', /^error: .*truncated|^error: .*end of file/i);
    assert.match(verification.dumps.find((d) => d.path === 'mariadb_full.sql.gz')?.problem ?? '', /truncated/);
  });

  it('a consumer that fails or stops early changes nothing in the verdict', async () => {
    const path = await pack({ 'metadata.json': metadata, 'mariadb_full.sql.gz': gzipSync(sql), 'redis_dump.rdb': Buffer.from('REDIS0011') });
    const plain = await verifyArchive(path, { limits });
    const tapped = await verifyArchive(path, {
      limits,
      tap: (member) =>
        member === 'redis_dump.rdb'
          ? async () => {
              throw new Error('the consumer broke');
            }
          : async (content) => {
              // reads one chunk and walks away
              for await (const _ of content) break;
            },
    });
    assert.deepEqual(
      tapped.dumps.map((d) => [d.path, d.problem ?? null, d.details]),
      plain.dumps.map((d) => [d.path, d.problem ?? null, d.details]),
    );
    assert.equal(tapped.sha256, plain.sha256);
    assert.equal(tapped.sha256, (await readFile(`${path}.sha256`, 'utf8')).split(' ')[0]);
  });
});
