/**
 * restore-smoke: the team's own smoke test passes on the restored copy (issue 18). Judges what restore-test ran while
 * the copy existed (restore/smoke-test.ts): each restoreTest.smoke query against its one expectation, and the
 * restoreTest.smokeCommand's exit code. One result for the check (the report has one entry per check id), with one
 * part per query and one for the command in its evidence (`queries`, `command`), each with its own status:
 *  - neither configured: skipped;
 *  - any part fails (an expectation not met, the command exiting non-zero): fail, naming each failing part;
 *  - otherwise any part not evaluated (a query error, a deadline, a command that could not start, the copy unreadable):
 *    error, naming each, with the evaluated parts kept as evidence — never a pass with a part not evaluated;
 *  - all passed: pass.
 * As in the neighbours (restoredOrThrow), a restore that never completed is an error: there was nothing to test.
 */
import { EvaluationError } from '../../errors.js';
import { restoredOrThrow } from '../../restore/judge.js';
import type { SmokeCommandResult, SmokeQueryResult } from '../../restore/outcome.js';
import { describeCommand } from '../../selfhosted/service-commands.js';
import type { JsonValue } from '../../vocabulary.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

type PartStatus = 'pass' | 'fail' | 'error';
type Part = { verdict: SmokePartVerdict; evidence: Record<string, JsonValue> };

/** One part's verdict: its status and, unless it passed, one clause saying what it saw against what was expected. */
export interface SmokePartVerdict {
  status: PartStatus;
  /** English clause, e.g. `"patients" returned 12, expected at least 100`. */
  reason?: string;
  /** The same in French. */
  reasonFr?: string;
}

const t = messages('restore-smoke', {
  notConfigured: text(
    () => 'No smoke test is configured (restoreTest.smoke, restoreTest.smokeCommand).',
    () => 'Aucun test de fumée n’est configuré (restoreTest.smoke, restoreTest.smokeCommand).',
  ),
  failed: text<{ failed: number; total: number; reasons: string[]; reasonsFr: string[] }>(
    (p) => `The smoke test failed on the restored copy (${p.failed} of ${p.total} part(s)): ${p.reasons.join('; ')}.`,
    (p) => `Le test de fumée a échoué sur la copie restaurée (${p.failed} partie(s) sur ${p.total}) : ${p.reasonsFr.join(' ; ')}.`,
  ),
  passed: text<{ queries: number; command: string | null }>(
    (p) =>
      `The smoke test passed on the restored copy: ${p.queries} quer${p.queries === 1 ? 'y' : 'ies'} met ${p.queries === 1 ? 'its expectation' : 'their expectations'}` +
      `${p.command ? `${p.queries > 0 ? ', and' : ';'} the smoke command ${p.command} exited 0` : ''}.`,
    (p) =>
      `Le test de fumée a réussi sur la copie restaurée : ${p.queries} requête(s) conforme(s) à leur attente` +
      `${p.command ? `${p.queries > 0 ? ', et' : ' ;'} la commande de fumée ${p.command} a terminé avec le code 0` : ''}.`,
  ),
});

const quote = (name: string) => `"${name}"`;
const guillemets = (name: string) => `« ${name} »`;

/** A value as the message shows it: SQL NULL as NULL, text as it is. */
const show = (v: string | null | undefined) => (v === undefined ? 'no row' : v === null ? 'NULL' : v);
const showFr = (v: string | null | undefined) => (v === undefined ? 'aucune ligne' : v === null ? 'NULL' : v);

/** A decimal number in PostgreSQL's text form (int, numeric, float): sign, digits, fraction, exponent. */
const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** a compared with b, exactly for integers of any size, as numbers otherwise; undefined when a is not a number. */
function compareNumber(text: string, expected: number): number | undefined {
  const value = text.trim();
  if (!NUMERIC.test(value)) return undefined;
  if (INTEGER.test(value) && Number.isInteger(expected)) {
    const a = BigInt(value);
    const b = BigInt(expected);
    return a === b ? 0 : a > b ? 1 : -1;
  }
  const a = Number(value);
  return a === expected ? 0 : a > expected ? 1 : -1;
}

const TRUE_TEXT = new Set(['t', 'true', 'yes', 'on', '1']);
const FALSE_TEXT = new Set(['f', 'false', 'no', 'off', '0']);

/**
 * `equals` against PostgreSQL's text of the value: a number compares numerically (so `0` matches `0`, `0.0` and a
 * bigint `0`), a boolean against `t`/`f` (and PostgreSQL's other spellings), a string exactly, null only SQL NULL.
 */
export function smokeEquals(observed: string | null, expected: string | number | boolean | null): boolean {
  if (expected === null || observed === null) return expected === observed;
  if (typeof expected === 'number') return compareNumber(observed, expected) === 0;
  if (typeof expected === 'boolean') return (expected ? TRUE_TEXT : FALSE_TEXT).has(observed.trim().toLowerCase());
  return observed === expected;
}

const expectedText = (e: SmokeQueryResult['expect']): { en: string; fr: string } => {
  if (e.returnsRow !== undefined) return e.returnsRow ? { en: 'at least one row', fr: 'au moins une ligne' } : { en: 'no row', fr: 'aucune ligne' };
  if (e.atLeast !== undefined) return { en: `at least ${e.atLeast}`, fr: `au moins ${e.atLeast}` };
  const v = e.equals === null ? 'NULL' : JSON.stringify(e.equals);
  return { en: v ?? 'NULL', fr: v ?? 'NULL' };
};

/** Judges one smoke query. */
export function judgeSmokeQuery(q: SmokeQueryResult): SmokePartVerdict {
  const name = quote(q.name);
  const nameFr = guillemets(q.name);
  if (!q.observed.ok) {
    const f = q.observed.failure;
    return {
      status: f.kind === 'restore-failed' ? 'fail' : 'error',
      reason: `${name} could not be evaluated: ${f.message}`,
      reasonFr: `${nameFr} n’a pas pu être évaluée : ${f.message}`,
    };
  }
  const read = q.observed.value;
  const want = expectedText(q.expect);
  const e = q.expect;
  if (e.returnsRow !== undefined) {
    if (read.rows > 0 === e.returnsRow) return { status: 'pass' };
    return {
      status: 'fail',
      reason: `${name} returned ${read.rows} row(s), expected ${want.en}`,
      reasonFr: `${nameFr} a renvoyé ${read.rows} ligne(s), attendu ${want.fr}`,
    };
  }
  const value = read.firstValue;
  const saw = { en: `${name} returned ${show(value)}`, fr: `${nameFr} a renvoyé ${showFr(value)}` };
  const fail = (): SmokePartVerdict => ({ status: 'fail', reason: `${saw.en}, expected ${want.en}`, reasonFr: `${saw.fr}, attendu ${want.fr}` });
  if (value === undefined) return fail();
  if (e.atLeast !== undefined) {
    if (value === null) return fail();
    const order = compareNumber(value, e.atLeast);
    if (order === undefined) {
      return {
        status: 'error',
        reason: `${saw.en}, which is not a number (expected ${want.en}): the query must return a number in its first column`,
        reasonFr: `${saw.fr}, qui n’est pas un nombre (attendu ${want.fr}) : la requête doit renvoyer un nombre en première colonne`,
      };
    }
    return order >= 0 ? { status: 'pass' } : fail();
  }
  return smokeEquals(value, e.equals ?? null) ? { status: 'pass' } : fail();
}

/** Judges the smoke command: exit 0 passes, another exit (or a signal that ended it by itself) fails, not run is an error. */
export function judgeSmokeCommand(c: SmokeCommandResult): SmokePartVerdict {
  const shown = describeCommand(c.argv);
  if (!c.ran.ok) {
    const f = c.ran.failure;
    return {
      status: f.kind === 'restore-failed' ? 'fail' : 'error',
      reason: `the smoke command ${shown} was not evaluated: ${f.message}`,
      reasonFr: `la commande de fumée ${shown} n’a pas été évaluée : ${f.message}`,
    };
  }
  const { exitCode, signal } = c.ran.value;
  if (exitCode === 0) return { status: 'pass' };
  const how = exitCode === null ? `was ended by ${signal}` : `exited with ${exitCode}`;
  const howFr = exitCode === null ? `a été arrêtée par ${signal}` : `a terminé avec le code ${exitCode}`;
  return { status: 'fail', reason: `the smoke command ${shown} ${how}, expected 0`, reasonFr: `la commande de fumée ${shown} ${howFr}, attendu 0` };
}

export const restoreSmoke = defineCheck({
  id: 'restore-smoke',
  title: 'The team’s smoke test passes on the restored copy',
  severity: 'high',
  description:
    'While the restored copy exists, runs the configured smoke queries (restoreTest.smoke) read-only against it, each with one expectation ' +
    '(returnsRow, equals or atLeast) and its deadline, then the team’s smoke command (restoreTest.smokeCommand) with the copy’s connection in its environment.',
  risk: 'A copy that restores and counts right can still be useless to the application: the data it needs most may be stale, inconsistent or unreadable.',
  remediation:
    'Read which query or command failed and what it saw: a stale or inconsistent backup is fixed in the backup job; a query or test that no longer matches the schema is fixed in the configuration or the tests. Run the query by hand on the copy with `restorecheck restore-test --keep`.',
  fr: {
    title: 'Le test de fumée de l’équipe réussit sur la copie restaurée',
    description:
      'Tant que la copie restaurée existe, exécute en lecture seule les requêtes de fumée configurées (restoreTest.smoke), chacune avec une attente ' +
      '(returnsRow, equals ou atLeast) et son délai, puis la commande de fumée de l’équipe (restoreTest.smokeCommand) avec la connexion à la copie dans son environnement.',
    risk: 'Une copie qui se restaure et dont les comptes concordent peut rester inutilisable par l’application : les données dont elle a le plus besoin peuvent être anciennes, incohérentes ou illisibles.',
    remediation:
      'Lire quelle requête ou commande a échoué et ce qu’elle a obtenu : une sauvegarde ancienne ou incohérente se corrige dans la tâche de sauvegarde ; une requête ou un test qui ne correspond plus au schéma se corrige dans la configuration ou les tests. Exécuter la requête à la main sur la copie avec `restorecheck restore-test --keep`.',
  },
  // A.8.13: the backup is tested by restoring it and using it; A.5.30: the restored copy is fit for the service (the
  // readiness a continuity plan relies on). Not A.8.29 (security testing in development): this tests the data, not code.
  controls: [CONTROLS.backup, CONTROLS.continuity],
  needs: [],
  uses: ['restore'],
  command: 'restore-test',
  notApplicable: (config) => (config.restoreTest.smoke.length > 0 || config.restoreTest.smokeCommand ? undefined : t.notConfigured({})),
  async run(ctx) {
    // Fleet mode: a copy not read on purpose is skipped, with why (notApplicable has already skipped an unconfigured test).
    const notRead = ctx.restore.notRead?.database;
    if (notRead) return { status: 'skipped', message: notRead };
    const restored = restoredOrThrow(ctx.restore);
    const smoke = restored.smoke;
    if (!smoke) {
      throw new EvaluationError(
        'internal',
        'the smoke test is configured but the restore test did not run it',
        'run the restore test again; if it persists, report it with RESTORECHECK_DEBUG=1 output',
      );
    }
    const queryParts: Part[] = smoke.queries.map((q) => {
      const verdict = judgeSmokeQuery(q);
      const read = q.observed.ok ? q.observed.value : undefined;
      return {
        verdict,
        evidence: {
          name: q.name,
          sql: q.sql,
          expect: q.expect as Record<string, JsonValue>,
          status: verdict.status,
          ...(read ? { rows: read.rows, value: read.firstValue === undefined ? null : read.firstValue, ...(read.column ? { column: read.column } : {}) } : {}),
          ...(q.observed.ok ? {} : { errorKind: q.observed.failure.kind, error: q.observed.failure.message, hint: q.observed.failure.hint }),
          ...(verdict.reason ? { reason: verdict.reason } : {}),
          seconds: q.seconds,
        },
      };
    });
    let commandPart: Part | undefined;
    if (smoke.command) {
      const c = smoke.command;
      const verdict = judgeSmokeCommand(c);
      commandPart = {
        verdict,
        evidence: {
          argv: c.argv,
          cwd: c.cwd,
          status: verdict.status,
          exitCode: c.ran.ok ? c.ran.value.exitCode : null,
          ...(c.ran.ok && c.ran.value.signal ? { signal: c.ran.value.signal } : {}),
          ...(c.ran.ok ? {} : { errorKind: c.ran.failure.kind, error: c.ran.failure.message, hint: c.ran.failure.hint }),
          ...(verdict.reason ? { reason: verdict.reason } : {}),
          seconds: c.seconds,
          output: c.output,
          outputBytes: c.outputBytes,
          outputTruncated: c.outputBytes > Buffer.byteLength(c.output),
        },
      };
    }
    const parts = commandPart ? [...queryParts, commandPart] : queryParts;
    const queryCount = smoke.queries.length;
    const evidence = {
      queries: queryParts.map((p) => p.evidence),
      ...(commandPart ? { command: commandPart.evidence } : {}),
      summary: {
        pass: parts.filter((p) => p.verdict.status === 'pass').length,
        fail: parts.filter((p) => p.verdict.status === 'fail').length,
        error: parts.filter((p) => p.verdict.status === 'error').length,
      },
    };
    const failed = parts.filter((p) => p.verdict.status === 'fail');
    if (failed.length > 0) {
      // The parts not evaluated are named too: a failure must not hide that something else was not tested.
      const named = parts.filter((p) => p.verdict.status !== 'pass');
      return {
        status: 'fail',
        message: t.failed({
          failed: failed.length,
          total: parts.length,
          reasons: named.map((p) => p.verdict.reason ?? ''),
          reasonsFr: named.map((p) => p.verdict.reasonFr ?? p.verdict.reason ?? ''),
        }),
        evidence,
      };
    }
    const errors = parts.filter((p) => p.verdict.status === 'error');
    if (errors.length > 0) {
      // One kind when every part not evaluated shares it (all past their deadline: timeout), else `query`.
      const kinds = new Set(errors.map((p) => (p.evidence.errorKind as EvaluationError['kind'] | undefined) ?? 'query'));
      throw new EvaluationError(
        kinds.size === 1 ? ([...kinds][0] ?? 'query') : 'query',
        `${errors.length} of ${parts.length} smoke test part(s) could not be evaluated on the restored copy: ${errors.map((p) => p.verdict.reason).join('; ')}`,
        'see each part in the evidence: fix the query or the command in restoreTest, or raise restoreTest.smokeTimeoutSeconds / smokeCommand.timeoutSeconds',
        { evidence },
      );
    }
    return {
      status: 'pass',
      message: t.passed({ queries: queryCount, command: smoke.command ? describeCommand(smoke.command.argv) : null }),
      evidence,
    };
  },
});
