/**
 * The discard rule of a restore made while verifying (discard.ts): an archive-wide failure discards every member's
 * restore; a member's own failure discards that member's restore only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArchiveVerification, DumpResult } from '../../src/archive/verify-archive.js';
import type { TarEntryRecord } from '../../src/archive/tar-entry.js';
import { discardReason } from '../../src/restore/discard.js';
import type { Status } from '../../src/vocabulary.js';

const PG = 'postgres_full.sql.gz';
const MARIADB = 'mariadb_full.sql.gz';

const entry = (path: string, extra: Partial<TarEntryRecord> = {}): TarEntryRecord => ({
  rawName: `top/${path}`,
  type: 'file',
  size: 10,
  path,
  normalized: `top/${path}`,
  ...extra,
});
const dump = (path: string, problem?: string): DumpResult => ({
  path,
  kind: path === PG ? 'postgres-dump' : 'mariadb-dump',
  compressed: true,
  details: {},
  ...(problem ? { problem } : {}),
});
const verification = (entries: TarEntryRecord[], dumps: DumpResult[]) => ({ entries, dumps }) as unknown as ArchiveVerification;
const gate = (statuses: Partial<Record<string, Status>> = {}) =>
  ['archive-checksum', 'archive-integrity', 'archive-members', 'archive-dump-integrity', 'archive-metadata', 'archive-signature'].map((id) => ({
    id,
    status: statuses[id] ?? (id === 'archive-signature' ? 'skipped' : 'pass'),
    message: `${id} said so`,
  }));
const healthy = verification([entry('metadata.json'), entry(MARIADB), entry(PG)], [dump(MARIADB), dump(PG)]);

describe('discardReason', () => {
  it('keeps a restore when the gate passes (a skipped signature and a warned metadata are no failure)', () => {
    assert.equal(discardReason(gate(), healthy, PG), undefined);
    assert.equal(discardReason(gate({ 'archive-metadata': 'warn' }), healthy, PG), undefined);
  });

  for (const id of ['archive-checksum', 'archive-integrity', 'archive-signature', 'archive-metadata']) {
    it(`discards every member's restore when ${id} fails`, () => {
      for (const member of [PG, MARIADB]) {
        const discard = discardReason(gate({ [id]: 'fail' }), healthy, member);
        assert.equal(discard?.status, 'fail');
        assert.match(discard.reason, new RegExp(`${id} failed \\(${id} said so\\)`));
      }
    });
  }

  it('an archive-wide check that could not be evaluated discards too, as an error (not proven bad)', () => {
    const discard = discardReason(gate({ 'archive-signature': 'error' }), healthy, PG);
    assert.deepEqual(discard, { reason: 'archive-signature could not be evaluated (archive-signature said so)', status: 'error' });
  });

  it("another member's problem does not discard this member's restore, and discards that member's", () => {
    const damaged = verification([entry(MARIADB), entry(PG)], [dump(MARIADB, 'the dump lacks its end marker'), dump(PG)]);
    const failing = gate({ 'archive-dump-integrity': 'fail', 'archive-members': 'fail' });
    assert.equal(discardReason(failing, damaged, PG), undefined);
    assert.deepEqual(discardReason(failing, damaged, MARIADB), { reason: `${MARIADB}: the dump lacks its end marker`, status: 'fail' });
  });

  it("the member's own problems: a bad dump, an archive broken inside it, a second copy of it", () => {
    assert.match(String(discardReason(gate(), verification([entry(PG)], [dump(PG, 'the gzip stream is truncated')]), PG)?.reason), /truncated/);
    assert.match(String(discardReason(gate(), verification([entry(PG, { incomplete: true })], [dump(PG)]), PG)?.reason), /damaged inside it/);
    assert.match(String(discardReason(gate(), verification([entry(PG), entry(PG)], [dump(PG)]), PG)?.reason), /in the archive 2 times/);
  });
});
