import { resolve } from 'node:path';
import { listArchiveDirectory } from '../../archive/archive-directory.js';
import { archivesConfigOrDefault } from '../../config/schema.js';
import { type RetentionApplied, type RetentionDeletion, applyRetention, planRetention } from '../../archive/retention.js';
import { printable } from '../../report/console.js';
import { appendAuditEvent } from '../../evidence/audit-log.js';
import { auditSigning } from '../../evidence/signing.js';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';
import { loadConfigFor, withConfigOption } from '../config-option.js';

/**
 * Exit codes: 0 the directory satisfies the policy (no expired archive left, every kept archive
 * has its sidecar); 1 it does not (expired archives present — or left after a failed deletion —,
 * or a kept archive lacks its sidecar); 2 could not run (unreadable directory, bad configuration).
 */
export const retentionCommand = defineCommand({
  builder: (yargs) =>
    withConfigOption(yargs, false)
      .positional('dir', { type: 'string', describe: 'the backup directory' })
      .option('apply', { type: 'boolean', default: false, describe: 'delete the expired archives and their sidecars' })
      .option('format', { type: 'string', choices: ['console', 'json'], default: 'console', describe: 'output format', requiresArg: true }),
  async run(argv, { output }) {
    const loaded = argv.config === undefined ? undefined : await loadConfigFor(argv.config, output);
    const archives = archivesConfigOrDefault(loaded?.config.archives);
    if (argv.dir === undefined) throw new UsageError('name the backup directory', 'restorecheck retention DIR'); // yargs demands <dir>; this keeps the types honest
    const dir = resolve(argv.dir);
    const listing = await listArchiveDirectory(dir);
    // The safety backups of `restore` are kept as the configuration says (as backup --prune keeps them).
    const safetyKeepDays = loaded?.config.selfHosted?.safetyBackupKeepDays;
    const plan = planRetention(listing, archives, new Date(), safetyKeepDays === undefined ? {} : { safetyKeepDays });
    // Deletions are recorded in the audit log of report.dir, or else in one beside the archives.
    const auditDir = loaded?.config.report?.dir ?? dir;
    const record = async (d: RetentionDeletion) => {
      await appendAuditEvent(
        auditDir,
        {
          action: 'delete',
          command: 'retention',
          environment: d.environment,
          outcome: 'deleted',
          details: { archive: d.archive, sidecar: d.sidecar ?? null, archiveTimestamp: d.timestamp, ageDays: d.ageDays, reason: d.reason },
        },
        { redact: (text) => output.redactor.redact(text), ...auditSigning(loaded?.config.report?.signingKey) },
      );
    };
    const applied: RetentionApplied | undefined = argv.apply ? await applyRetention(plan, record) : undefined;
    if (applied?.deleted.length) output.err(`${applied.deleted.length} deletion(s) recorded in ${printable(auditDir)}/audit.log.jsonl`);
    const deleted = new Set(applied?.deleted.map((d) => d.archive) ?? []);

    const kept = plan.decisions.filter((d) => d.action === 'keep');
    const expired = plan.decisions.filter((d) => d.action === 'expire');
    const keptWithoutSidecar = kept.filter((d) => !d.archive.hasSidecar);
    const expiredLeft = expired.filter((d) => !deleted.has(d.archive.path));
    const compliant = expiredLeft.length === 0 && keptWithoutSidecar.length === 0 && (applied?.failed.length ?? 0) === 0;

    if (argv.format === 'json') {
      const document = {
        dir,
        now: plan.now.toISOString(),
        applied: argv.apply,
        policies: plan.policies,
        archives: plan.decisions.map((d) => ({
          file: d.archive.name.fileName,
          environment: d.archive.name.environment,
          timestamp: d.archive.name.timestamp.toISOString(),
          ageDays: d.ageDays,
          action: d.action,
          reason: d.reason,
          sidecar: d.archive.hasSidecar,
          ...(deleted.has(d.archive.path) ? { deleted: true } : {}),
        })),
        unrecognised: listing.unrecognised,
        orphanSidecars: listing.orphanSidecars,
        ...(applied ? { failed: applied.failed } : {}),
        summary: { kept: kept.length, expired: expired.length, deleted: deleted.size, keptWithoutSidecar: keptWithoutSidecar.length },
        outcome: compliant ? 'pass' : 'fail',
      };
      output.out(`${JSON.stringify(document, null, 2)}\n`);
    } else {
      const lines: string[] = [`restorecheck retention · ${printable(dir)} · ${plan.now.toISOString()}${argv.apply ? ' · applying' : ''}`, ''];
      for (const [environment, policy] of Object.entries(plan.policies)) {
        lines.push(`${printable(environment)}: keep ${policy.retentionDays} days${policy.keepNewest > 0 ? `, always the newest ${policy.keepNewest}` : ''}`);
        for (const d of plan.decisions.filter((x) => x.archive.name.environment === environment)) {
          const label = d.action === 'keep' ? 'KEEP' : deleted.has(d.archive.path) ? 'DELETED' : 'EXPIRED';
          const flag = d.action === 'keep' && !d.archive.hasSidecar ? '  ! no sidecar' : '';
          lines.push(`  ${label.padEnd(8)} ${printable(d.archive.name.fileName)}  ${d.ageDays.toFixed(1)} days, ${d.reason}${flag}`);
        }
      }
      if (plan.decisions.length === 0) lines.push('  (no archive named <name>_<env>_<YYYYMMDD>_<HHMMSS>.tar.gz)');
      for (const name of listing.unrecognised) lines.push(`  ignored: ${printable(name)} (name does not follow the convention)`);
      for (const name of listing.orphanSidecars) lines.push(`  ignored: ${printable(name)} (sidecar without its archive)`);
      for (const failure of applied?.failed ?? []) lines.push(`  could not delete ${printable(failure.archive)}: ${printable(failure.error)}`);
      lines.push('');
      const next = !argv.apply && expired.length > 0 ? ' · run with --apply to delete the expired ones' : '';
      lines.push(
        `${kept.length} kept (${keptWithoutSidecar.length} without sidecar), ${expired.length} expired, ${deleted.size} deleted · ` +
          `${compliant ? 'policy satisfied' : 'policy NOT satisfied'} (exit ${compliant ? 0 : 1})${next}`,
      );
      output.out(`${lines.join('\n')}\n`);
    }
    output.exitCode = compliant ? 0 : 1;
  },
});
