/**
 * `restorecheck backup --config FILE [--environment ENV] [--prune]`: writes the self-hosted archive (run/backup.ts),
 * reports it like every command (one check per component, plus the verification of the archive written), records one
 * audit line (who, what, size, hashes, verdict) in report.dir's audit log or else the backup directory's, and with
 * --prune applies the retention policy after a backup that passed.
 */
import { basename } from 'node:path';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { appendAuditEvent } from '../../evidence/audit-log.js';
import { auditSigning } from '../../evidence/signing.js';
import { backupDirOf, pruneAfterBackup, runBackup } from '../../run/backup.js';
import { collectProvenance } from '../../run/provenance.js';
import { exitCodeFor } from '../../run/result.js';
import { commandStartNow } from '../../run/runner.js';
import { defineCommand } from '../command.js';
import { emitReports } from '../report-files.js';
import { withReportStore } from '../report-store-sync.js';
import { loadConfigFor, reportRequest, withConfigOption, withReportOptions } from '../shared-options.js';

export const backupCommand = defineCommand({
  builder: (yargs) =>
    withReportOptions(withConfigOption(yargs, true))
      .option('environment', {
        type: 'string',
        describe: 'the environment in the file name and metadata.json (default: the configuration’s environment)',
        requiresArg: true,
      })
      .option('prune', {
        type: 'boolean',
        default: false,
        describe: 'after a backup that passed, delete the archives the retention policy expires (never this one, nor the newest 3 of production)',
      }),
  async run(argv, { output, signal }) {
    const commandStart = commandStartNow();
    output.verbose = argv.verbose;
    const loaded = await loadConfigFor(argv.config, output);
    const environment = argv.environment ?? loaded.config.environment;
    if (!/^[A-Za-z0-9.-]+$/.test(environment)) {
      throw new UsageError(
        `--environment ${environment}: must be letters, digits, dot or dash`,
        'the environment is part of the archive name <name>_<env>_<YYYYMMDD>_<HHMMSS>.tar.gz, whose parts are separated by underscores',
      );
    }
    const config: Config = { ...loaded.config, environment };
    const selfHosted = config.selfHosted;
    if (!selfHosted) {
      throw new UsageError(
        `${argv.config}: no selfHosted section`,
        'add selfHosted (name, backupDir, sources) to the configuration: see the README, "Backing up a self-hosted stack"',
      );
    }
    const request = withReportStore(reportRequest(argv, config), config, output);
    await request.store?.ensurePulled();
    const { result, outcome } = await runBackup({
      config,
      only: argv.only,
      failOn: argv['fail-on'],
      log: output.logger(),
      signal,
      commandStart,
      provenance: collectProvenance({ cwd: process.cwd(), env: output.env, config }),
    });

    // The backup's own audit line, beside the report's: what was written, with which hashes, and the verdict.
    const backupDir = backupDirOf(selfHosted);
    const auditDir = config.report?.dir ?? backupDir;
    const audit = { redact: (text: string) => output.redactor.redact(text), ...auditSigning(config.report?.signingKey ?? selfHosted.signingKey) };
    await appendAuditEvent(
      auditDir,
      {
        action: 'backup',
        command: 'backup',
        environment,
        outcome: result.outcome,
        details: {
          archive: outcome.archive?.path ?? null,
          sha256: outcome.archive?.sha256 ?? null,
          sizeBytes: outcome.archive?.size ?? null,
          signedBy: outcome.archive?.signature?.keyId ?? null,
          members: Object.fromEntries(outcome.components.flatMap((c) => c.members.map((m) => [m.path, { sha256: m.sha256, size: m.size }]))),
          components: Object.fromEntries(outcome.components.map((c) => [c.name, c.status])),
          failure: outcome.failure?.message ?? null,
          seconds: outcome.timings.totalSeconds ?? null,
        },
      },
      audit,
    );

    if (argv.prune) {
      if (result.outcome === 'pass' && outcome.archive) {
        const pruned = await pruneAfterBackup(config, outcome, async (d) => {
          await appendAuditEvent(
            auditDir,
            {
              action: 'delete',
              command: 'backup --prune',
              environment: d.environment,
              outcome: 'deleted',
              details: {
                archive: d.archive,
                sidecar: d.sidecar ?? null,
                signature: d.signature ?? null,
                archiveTimestamp: d.timestamp,
                ageDays: d.ageDays,
                reason: d.reason,
              },
            },
            audit,
          );
        });
        output.err(
          `prune: ${pruned.deleted.length} expired archive(s) deleted${pruned.deleted.length ? ` (${pruned.deleted.map((p) => basename(p)).join(', ')})` : ''}, ${pruned.kept} kept`,
        );
        for (const f of pruned.failed) output.err(`prune: could not delete ${f.archive}: ${f.error}`);
      } else {
        output.err('prune: skipped, the backup did not pass (nothing is deleted after a backup that failed)');
      }
    }
    await emitReports(result, request, output);
    output.exitCode = exitCodeFor(result.outcome);
  },
});
