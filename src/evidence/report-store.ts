/**
 * The report store (report.store): an Azure Blob container that keeps a report directory's record across CI runs, whose
 * runners start with an empty directory. Before a run's reports are written, `pullReportStore` brings what the store holds
 * for this environment into the local report directory: the audit log, rebuilt from its per-line blobs, and the newest JSON
 * reports it records, each checked against the SHA-256 its audit line recorded. The local code then chains as it always
 * does (report-directory.ts), and `pushReportStore` uploads what the run added: the new audit lines first, then the JSON
 * record and every rendered file.
 *
 * Layout under the prefix (default `<environment>/`): the report files by their local names, and the audit log as one
 * blob per line, `audit/<seq, 10 digits>.jsonl`. Why one blob per line and not an append blob: every blob is created once
 * and never touched again, so a container under a locked time-based retention (WORM) policy accepts every write without
 * allowProtectedAppendWrites; and naming the line by its sequence number alone turns the conditional create
 * ("If-None-Match: *") into the lock between two runs: of two runs that read the same store, the second to store line N
 * gets "exists" and stops with an error, instead of forking the chain. Nothing is ever overwritten or deleted.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ReportStoreBlobs } from '../azure/types.js';
import { EvaluationError } from '../errors.js';
import { AUDIT_LOG_FILE, readTextIfExists, recordedReportHashes } from './audit-log.js';
import { writeFileAtomic } from './atomic-write.js';
import { withDirectoryLock } from './dir-lock.js';
import { RENDERED_FILE_NAME, REPORT_JSON_NAME, sha256Hex } from './report-chain.js';
import { type Signer, canonicalJson } from './signing.js';
import { mapLimited } from '../map-limited.js';

export interface ReportStoreTarget {
  blobs: ReportStoreBlobs;
  /** Ends with `/`. */
  prefix: string;
  /** The newest this many JSON reports are read back. */
  maxReports: number;
  /** Deadline of the whole pull, and of the whole push. */
  timeoutMs: number;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** Audit lines already read in this process, by seq: a stored line never changes, so a second pull reads only new ones. */
  lineCache?: Map<number, string>;
  /** report.signingKey: a local line moved after the store's (rebaseActions) is signed again, its old signature no longer fitting. */
  signer?: Signer;
}

/** What the store held when it was read: the number of audit lines is where this run's own lines start. */
export interface PulledStore {
  auditLines: number;
  reports: number;
}

const AUDIT_PART = 'audit/';
const auditBlobName = (prefix: string, seq: number) => `${prefix}${AUDIT_PART}${String(seq).padStart(10, '0')}.jsonl`;

// Reads in parallel, a few at a time (mapLimited): a store of a thousand reports is read in seconds without a thousand sockets.

function storeError(message: string, hint: string): EvaluationError {
  return new EvaluationError('invalid-response', message, hint);
}

/** Splits a log into its lines, each with its newline. */
const linesOf = (text: string) => text.split(/(?<=\n)/).filter((line) => line !== '');

/**
 * Brings the store's record into `dir`. Throws (EvaluationError) when the store cannot be read or does not add up: a run
 * must then stop rather than write a report that starts a new chain. Takes the directory lock.
 */
export async function pullReportStore(target: ReportStoreTarget, dir: string): Promise<PulledStore> {
  const signal = AbortSignal.timeout(target.timeoutMs);
  const { blobs, prefix } = target;
  const listing = await blobs.list(prefix, signal);
  const names = new Set(listing.map((blob) => blob.name));
  const auditPattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${AUDIT_PART}(\\d{10})\\.jsonl$`);
  const seqs = listing
    .map((blob) => auditPattern.exec(blob.name)?.[1])
    .filter((seq): seq is string => seq !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  seqs.forEach((seq, index) => {
    if (seq !== index + 1) {
      throw storeError(
        `the report store's audit log has a gap: ${auditBlobName(prefix, index + 1)} is missing in ${blobs.where}`,
        'the store was changed outside restorecheck; restore the missing line blob, or start a new prefix (report.store.prefix) and keep the old one as it is',
      );
    }
  });
  const cache = target.lineCache ?? new Map<number, string>();
  const lines = await mapLimited(seqs, 8, async (seq) => {
    const cached = cache.get(seq);
    if (cached !== undefined) return cached;
    const line = (await blobs.read(auditBlobName(prefix, seq), signal)).toString('utf8');
    cache.set(seq, line);
    return line;
  });
  lines.forEach((line, index) => {
    if (!line.endsWith('\n') || line.indexOf('\n') !== line.length - 1) {
      throw storeError(`${auditBlobName(prefix, index + 1)} in ${blobs.where} is not one audit line`, 'the store was changed outside restorecheck');
    }
  });
  const storeLog = lines.join('');

  // The pull may come first (restore-test-freshness asks for the stored reports during the run).
  await mkdir(dir, { recursive: true });
  return withDirectoryLock(dir, async () => {
    const logPath = join(dir, AUDIT_LOG_FILE);
    const local = (await readTextIfExists(logPath)) ?? '';
    if (storeLog.startsWith(local)) {
      if (storeLog !== local) await writeFileAtomic(logPath, storeLog, { mode: 0o644 });
    } else if (!local.startsWith(storeLog)) {
      // Lines only this directory has, after what it shares with the store: on CI, typically `restore-test cleanup`
      // recording a deletion in the fresh directory just before `check`. Actions without a report are moved after the
      // store's lines (their seq and link recomputed; they were never stored, so no stored hash changes) and stored with
      // this run's. A local report line is another chain: merging two chains is not something to guess at.
      const rebased = rebaseActions(linesOf(storeLog), linesOf(local), target.signer);
      if (rebased === undefined) {
        throw storeError(
          `the audit log in ${dir} and the one in the report store (${blobs.where}, prefix ${prefix}) differ`,
          'with report.store, use a report directory that is empty or holds only what the store holds (on CI, a fresh one)',
        );
      }
      await writeFileAtomic(logPath, rebased, { mode: 0o644 });
    }
    // local.startsWith(storeLog) and longer: lines a failed push left behind; pushReportStore uploads them now.

    // The files rendered from a report (its renderedFiles, hashed into the JSON): report verify needs them beside it.
    const pullRenderedFiles = async (json: Buffer): Promise<void> => {
      let rendered: unknown;
      try {
        rendered = (JSON.parse(json.toString('utf8')) as { renderedFiles?: unknown }).renderedFiles;
      } catch {
        return; // a report that does not parse is verify's to report
      }
      if (typeof rendered !== 'object' || rendered === null) return;
      for (const [name, sha256] of Object.entries(rendered)) {
        if (typeof sha256 !== 'string' || !RENDERED_FILE_NAME.test(name) || name !== basename(name)) continue;
        const path = join(dir, name);
        if (
          await readFile(path).then(
            () => true,
            () => false,
          )
        )
          continue;
        const blobName = `${prefix}${name}`;
        if (!names.has(blobName)) {
          target.log(`report store: ${name} is listed by its report but missing in ${blobs.where}`);
          continue;
        }
        const bytes = await blobs.read(blobName, signal);
        if (sha256Hex(bytes) !== sha256) {
          throw storeError(
            `${blobName} in ${blobs.where} differs from what its report recorded (sha256 ${sha256.slice(0, 12)}…)`,
            'the stored rendered file was replaced; keep the store as evidence and investigate (a container under a locked immutability policy prevents this)',
          );
        }
        await writeFileAtomic(path, bytes, { exclusive: true });
      }
    };

    // The newest reports the store's audit log records, each checked against its recorded hash.
    const recorded = [...recordedReportHashes(storeLog)];
    const wanted = recorded.slice(-target.maxReports);
    let pulled = 0;
    await mapLimited(wanted, 8, async ([file, sha256]) => {
      // The name becomes a local path: only a report file name, never a path, is taken from the store.
      if (!REPORT_JSON_NAME.test(file) || file !== basename(file)) {
        throw storeError(
          `the report store's audit log names ${JSON.stringify(file)}, which is not a report file name`,
          'the store was changed outside restorecheck',
        );
      }
      const blobName = `${prefix}${file}`;
      const path = join(dir, file);
      const existing = await readFile(path).catch(() => undefined);
      if (existing) {
        if (sha256Hex(existing) !== sha256)
          throw storeError(`${path} differs from the report the store's audit log records`, 'use an empty report directory with report.store');
        await pullRenderedFiles(existing);
        return;
      }
      if (!names.has(blobName)) {
        // The line was stored but the report not (a push cut short): verify shows it as missing; the chain goes on from its hash.
        target.log(`report store: ${file} is recorded in the audit log but missing in ${blobs.where}`);
        return;
      }
      const bytes = await blobs.read(blobName, signal);
      if (sha256Hex(bytes) !== sha256) {
        throw storeError(
          `${blobName} in ${blobs.where} differs from what its audit line recorded (sha256 ${sha256.slice(0, 12)}…)`,
          'the stored report was replaced; keep the store as evidence and investigate (a container under a locked immutability policy prevents this)',
        );
      }
      await writeFileAtomic(path, bytes, { exclusive: true });
      pulled++;
      await pullRenderedFiles(bytes);
    });
    target.log(
      `report store: read ${lines.length} audit line${lines.length === 1 ? '' : 's'} and ${wanted.length} report${wanted.length === 1 ? '' : 's'} ` +
        `(${pulled} new here) from ${blobs.where}, prefix ${prefix}`,
    );
    return { auditLines: lines.length, reports: wanted.length };
  });
}

/**
 * The store's lines followed by the local lines past the part both share, re-linked (seq, previousLineSha256); undefined
 * when one of those local lines records a report (or is not a valid line), which no re-linking may move.
 */
function rebaseActions(storeLines: readonly string[], localLines: readonly string[], signer: Signer | undefined): string | undefined {
  let shared = 0;
  while (shared < storeLines.length && shared < localLines.length && storeLines[shared] === localLines[shared]) shared++;
  const out = [...storeLines];
  for (const line of localLines.slice(shared)) {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    if (record.report !== null || typeof record.seq !== 'number' || !('previousLineSha256' in record)) return undefined;
    const previous = out[out.length - 1];
    // Assigning existing keys keeps their order: the line keeps audit-log.ts's key order.
    record.seq = out.length + 1;
    record.previousLineSha256 = previous === undefined ? null : sha256Hex(previous.replace(/\n$/, ''));
    // Its signature covered the old seq and link: signed again with the run's key, or dropped (an unsigned line before a
    // signed head is covered by the head's signature through the links; report verify --public-key accepts it).
    delete record.signature;
    if (signer) record.signature = { algorithm: signer.algorithm, keyId: signer.keyId, value: signer.sign('audit-line', canonicalJson(record)) };
    out.push(`${JSON.stringify(record)}\n`);
  }
  return out.join('');
}

function contentType(file: string): string {
  if (file.endsWith('.json') || file.endsWith('.jsonl')) return 'application/json';
  if (file.endsWith('.html')) return 'text/html; charset=utf-8';
  if (file.endsWith('.md')) return 'text/markdown; charset=utf-8';
  if (file.endsWith('.xml')) return 'application/xml';
  if (file.endsWith('.pdf')) return 'application/pdf';
  return 'application/octet-stream';
}

/**
 * Uploads what the run added to `dir` since the pull: its audit lines (each claiming its sequence number: a line another
 * run stored first makes this one stop with a conflict, its report kept locally only), then `files`. Never overwrites.
 */
export async function pushReportStore(target: ReportStoreTarget, dir: string, pulled: PulledStore, files: readonly string[]): Promise<void> {
  const signal = AbortSignal.timeout(target.timeoutMs);
  const { blobs, prefix } = target;
  const lines = linesOf((await readTextIfExists(join(dir, AUDIT_LOG_FILE))) ?? '');
  let uploaded = 0;
  // In order, one at a time: line N+1 is stored only once line N is, so the store never has a gap.
  for (let seq = pulled.auditLines + 1; seq <= lines.length; seq++) {
    const name = auditBlobName(prefix, seq);
    if ((await blobs.create(name, Buffer.from(lines[seq - 1]!), 'application/json', signal)) === 'exists') {
      throw new EvaluationError(
        'conflict',
        `another run stored audit line ${seq} in ${blobs.where} first (two runs of this environment at once): this run's report stays in ${dir} and is not in the store`,
        'run again once the other run has finished: the next run chains to what the store holds; run one job per environment at a time (a CI concurrency group)',
      );
    }
    uploaded++;
  }
  for (const path of files) {
    const name = `${prefix}${basename(path)}`;
    if ((await blobs.create(name, await readFile(path), contentType(path), signal)) === 'exists') {
      throw new EvaluationError(
        'conflict',
        `${name} already exists in ${blobs.where}: it was not overwritten`,
        'another run wrote a report of the same name; nothing in the store is ever replaced, so keep the local copy in the report directory',
      );
    }
    uploaded++;
  }
  target.log(`report store: uploaded ${uploaded} file${uploaded === 1 ? '' : 's'} to ${blobs.where}, prefix ${prefix}`);
}
