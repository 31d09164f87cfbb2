/**
 * Tamper evidence for a report directory, as a pure function (`report verify`; report-directory.ts reads the files).
 * Two independent witnesses:
 *
 *  - the report chain (report-chain.ts): every JSON report records `previousReportSha256`, the
 *    SHA-256 of the JSON report written before it in the same directory (null for the first);
 *  - the audit log (audit-log.ts): one JSON line per event, each holding the SHA-256 of the line
 *    before it, and for a report its file name and SHA-256.
 *
 * Editing, removing, inserting or reordering a report breaks the report chain or disagrees with the
 * log, and editing or removing a log line breaks the log chain or leaves a report unrecorded.
 * Truncating both tails together cannot be seen from inside the directory: `report verify` prints
 * the head hashes so they can be kept elsewhere (CI logs, a ticket).
 *
 * A torn write is not tampering: restorecheck writes through a temp file (TEMP_FILE_PREFIX) and a
 * rename, so a crash or a full disk can leave a temp file, and an older version (or a copy made by
 * hand) can leave a report cut short. A report that is not even JSON and that no audit line records
 * is such a write; it is reported apart (`tornWrites`) and kept out of the chain. A report the audit
 * log recorded is judged by its recorded hash whatever its state: that one is tampering.
 *
 * Two more layers (issue 13):
 *  - rendered files: each JSON report lists the SHA-256 of the HTML, Markdown, JUnit and PDF rendered
 *    from it (`renderedFiles`). A listed file that differs was edited (FAIL turned PASS in the HTML the
 *    auditor reads); one that is missing fails too (the auditor's copy was removed: the directory is
 *    no longer what the run left, and nothing else would notice); a rendered file that no report lists
 *    fails (a forged extra HTML), except beside a report from before renderedFiles (a note: no hash covers it).
 *  - signatures, only with a public key (`report verify --public-key`): every report must be signed by
 *    that key (renderedFiles inside it: the rendered files are authenticated too) and the audit head
 *    (the newest line) must be signed, which authenticates every earlier line through the links.
 *    Hashes alone can be recomputed by anyone; without a key verify checks integrity only, not authenticity.
 */
import { parseReport } from '../report/report-schema.js';
import { checkAuditLog, checkAuditSignatures, recordedReportHashes } from './audit-log.js';
import { type ChainProblem, type ReportFile, byReportTime, followReportChain, sha256Hex, shortHash } from './report-chain.js';
import { type Verifier, canonicalJson } from './signing.js';

/** The message of a torn write; the CLI adds what to remove. */
export const TORN_WRITE = 'is a torn write (an interrupted or disk-full write), not tampering';

export interface DirectorySnapshot {
  /** The JSON reports (files named like REPORT_JSON_NAME) and their exact bytes. */
  reports: Array<{ name: string; bytes: Uint8Array }>;
  /** The audit log's text, or null when there is none. */
  auditLog: string | null;
  /** Names of leftover temp files (TEMP_FILE_PREFIX…) in the directory. */
  tempFiles?: string[];
  /** The rendered report files (RENDERED_FILE_NAME) and their SHA-256; absent: not checked. */
  rendered?: Array<{ name: string; sha256: string }>;
}

export interface VerifyOptions {
  /** `--public-key`: check the signatures too (authenticity); without it, integrity only. */
  verifier?: Verifier;
}

export interface ChainVerification {
  ok: boolean;
  /** The reports in chain order (as far as the chain could be followed), then any left over, by name. */
  reports: Array<{ name: string; sha256: string; startedAt?: string; outcome?: string }>;
  auditLines: number;
  /** Problems, the first broken link first: reports in time order (by name), then audit lines in order. */
  problems: ChainProblem[];
  /** Torn writes (leftover temp files, unrecorded reports that are not JSON): not tampering, but to be removed. */
  tornWrites: ChainProblem[];
  /** SHA-256 of the newest report in the chain and of the last audit line: keep them elsewhere to anchor the chain. */
  reportHeadSha256: string | null;
  auditHeadSha256: string | null;
  /** Rendered files whose hash a report records and that matched. */
  renderedVerified: number;
  /** Not failures: e.g. a rendered file beside a report written before renderedFiles, which no hash covers. */
  notes: ChainProblem[];
  /** With a public key: its id, and how many earlier unsigned audit lines the signed head covers; null: integrity only. */
  authenticity: { keyId: string; unsignedAuditLinesCovered: number } | null;
}

const baseOf = (name: string) => name.replace(/\.[^.]+$/, '');

/** The rendered files against the renderedFiles lists of the reports (see the module comment). */
function checkRenderedFiles(
  reports: readonly ReportFile[],
  rendered: ReadonlyArray<{ name: string; sha256: string }>,
): { problems: ChainProblem[]; notes: ChainProblem[]; verified: number } {
  const problems: ChainProblem[] = [];
  const notes: ChainProblem[] = [];
  const present = new Map(rendered.map((file) => [file.name, file.sha256]));
  const listed = new Set<string>();
  let verified = 0;
  for (const report of reports) {
    if (!report.parsed.ok) continue;
    for (const [file, sha256] of Object.entries(report.parsed.report.renderedFiles ?? {})) {
      listed.add(file);
      const actual = present.get(file);
      if (actual === undefined)
        problems.push({ subject: file, message: `is missing: ${report.name} records it (sha256 ${shortHash(sha256)}); a rendered copy was removed` });
      else if (actual !== sha256) {
        problems.push({
          subject: file,
          message: `differs from what ${report.name} records (sha256 ${shortHash(sha256)}, the file has ${shortHash(actual)}): it was edited after the run`,
        });
      } else verified++;
    }
  }
  for (const { name } of rendered) {
    if (listed.has(name)) continue;
    const sibling = reports.find((r) => r.name === `${baseOf(name)}.json`);
    if (sibling?.parsed.ok && sibling.parsed.report.renderedFiles === undefined) {
      notes.push({ subject: name, message: `is not covered by any hash: ${sibling.name} was written before reports recorded their rendered files` });
    } else problems.push({ subject: name, message: "is not listed in any report's renderedFiles: it was added or renamed by hand (a forged copy?)" });
  }
  return { problems, notes, verified };
}

/** Each report's signature against the public key (see the module comment); subjects are report names. */
function checkReportSignatures(reports: ReadonlyArray<{ name: string; bytes: Uint8Array }>, verifier: Verifier): ChainProblem[] {
  const problems: ChainProblem[] = [];
  for (const { name, bytes } of reports) {
    let data: unknown;
    try {
      data = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      continue; // not JSON: the integrity half says so
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) continue;
    const { signature, ...content } = data as Record<string, unknown>;
    const signedBy = content.signedBy as { keyId?: unknown } | null | undefined;
    if (typeof signature !== 'string' || !signedBy || typeof signedBy.keyId !== 'string') {
      problems.push({
        subject: name,
        message: 'is not signed (integrity only, not authenticity): it was written without report.signingKey, or its signature removed',
      });
    } else if (signedBy.keyId !== verifier.keyId) {
      problems.push({
        subject: name,
        message: `is signed by another key (key id ${shortHash(signedBy.keyId)}), not the public key given (${shortHash(verifier.keyId)})`,
      });
    } else if (!verifier.verify('report', canonicalJson(content), signature)) {
      problems.push({ subject: name, message: 'has a signature that does not verify: the report was changed after it was signed (forged)' });
    }
  }
  return problems;
}

/** True when the bytes are not JSON at all: what a write cut short leaves (an edit leaves JSON, or the hash tells). */
function notJson(bytes: Uint8Array): boolean {
  try {
    JSON.parse(Buffer.from(bytes).toString('utf8'));
    return false;
  } catch {
    return true;
  }
}

export function verifyChain(snapshot: DirectorySnapshot, options: VerifyOptions = {}): ChainVerification {
  // Torn writes first: they stay out of both halves.
  const recordedFiles = new Set(recordedReportHashes(snapshot.auditLog).keys());
  const tornWrites: ChainProblem[] = (snapshot.tempFiles ?? []).map((name) => ({ subject: name, message: TORN_WRITE }));
  const torn = snapshot.reports.filter((file) => !recordedFiles.has(file.name) && notJson(file.bytes));
  tornWrites.push(...torn.map((file) => ({ subject: file.name, message: TORN_WRITE })));
  tornWrites.sort((a, b) => byReportTime(a.subject, b.subject));
  const reports: ReportFile[] = snapshot.reports
    .filter((file) => !torn.includes(file))
    .sort((a, b) => byReportTime(a.name, b.name))
    .map((file) => ({ name: file.name, sha256: sha256Hex(file.bytes), parsed: parseReport(Buffer.from(file.bytes).toString('utf8')) }));

  // 1. The report chain, followed by content. 2. The audit log: its own chain, then what it says about each report.
  const chain = followReportChain(reports);
  const log = checkAuditLog(snapshot.auditLog, reports);
  // 3. The rendered files against the reports' lists. 4. With a key, the signatures.
  const rendered = snapshot.rendered ? checkRenderedFiles(reports, snapshot.rendered) : { problems: [], notes: [], verified: 0 };
  const { verifier } = options;
  const kept = snapshot.reports.filter((file) => !torn.includes(file));
  const reportSignatures = verifier ? checkReportSignatures(kept, verifier) : [];
  const auditSignatures = verifier ? checkAuditSignatures(snapshot.auditLog, verifier) : { problems: [], unsignedCovered: 0 };

  // A report's problems together (the chain's first, then the log's, the signature's), then the rendered files
  // (each beside its report, in time order), then the log's own lines and their signatures.
  const byReport = new Map<string, string[]>();
  for (const { subject, message } of [...chain.problems, ...log.reportProblems, ...reportSignatures, ...rendered.problems]) {
    byReport.set(subject, [...(byReport.get(subject) ?? []), message]);
  }
  const problems: ChainProblem[] = [
    ...[...byReport.keys()].sort(byReportTime).flatMap((name) => byReport.get(name)!.map((message) => ({ subject: name, message }))),
    ...log.lineProblems,
    ...auditSignatures.problems,
  ];
  const { order } = chain;
  const listed = [...order, ...reports.filter((r) => !order.includes(r))];
  return {
    ok: problems.length === 0,
    reports: listed.map((r) => ({
      name: r.name,
      sha256: r.sha256,
      ...(r.parsed.ok ? { startedAt: r.parsed.report.run.startedAt, outcome: r.parsed.report.outcome } : {}),
    })),
    auditLines: log.lines,
    problems,
    tornWrites,
    reportHeadSha256: order.length > 0 ? order[order.length - 1]!.sha256 : null,
    auditHeadSha256: log.headSha256,
    renderedVerified: rendered.verified,
    notes: rendered.notes,
    authenticity: verifier ? { keyId: verifier.keyId, unsignedAuditLinesCovered: auditSignatures.unsignedCovered } : null,
  };
}
