import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { listArchiveDirectory, newestArchive } from '../../archive/archive-directory.js';
import { parseArchiveName } from '../../archive/archive-name.js';
import { checksFor } from '../../checks/index.js';
import { type Config, configSchema } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { verifyArchive } from '../../archive/verify-archive.js';
import { archivesOfStack } from '../../run/backup.js';
import { LiveGateways, once } from '../../run/gateways.js';
import { collectProvenance } from '../../run/provenance.js';
import { exitCodeFor } from '../../run/result.js';
import { commandStartNow } from '../../run/runner.js';
import { defineCommand } from '../command.js';
import { ProgressBar } from '../progress-bar.js';
import { emitReports } from '../report-files.js';
import { withReportStore } from '../report-store-sync.js';
import { loadConfigFor, reportRequest, runThenClose, withConfigOption, withReportOptions } from '../shared-options.js';

/** Below this size a verification takes a second or two: a progress bar would only flicker. */
const PROGRESS_MIN_BYTES = 256 * 1024 * 1024;

/** The archive named on the command line, or the newest in --dir / archives.dir (of --environment). */
async function resolveArchive(
  argv: { archive: string | undefined; dir: string | undefined; environment: string | undefined },
  config: Config | undefined,
): Promise<string> {
  if (typeof argv.archive === 'string') {
    const path = resolve(argv.archive);
    if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`archive not found: ${argv.archive}`, 'pass the path of a .tar.gz archive');
    return path;
  }
  const dir = typeof argv.dir === 'string' ? resolve(argv.dir) : config?.archives?.dir ? resolve(config.archives.dir) : undefined;
  if (!dir)
    throw new UsageError('no archive to verify', 'pass ARCHIVE.tar.gz, or --dir DIR (or archives.dir in the configuration) to verify the newest archive there');
  const environment = typeof argv.environment === 'string' ? argv.environment : undefined;
  const newest = newestArchive(await listArchiveDirectory(dir), environment);
  if (!newest) {
    throw new UsageError(
      `no archive named <name>_<env>_<YYYYMMDD>_<HHMMSS>.tar.gz${environment ? ` for environment ${environment}` : ''} in ${dir}`,
      'check the backup directory and that the backup job runs',
    );
  }
  return newest.path;
}

export const verifyCommand = defineCommand({
  builder: (yargs) =>
    withReportOptions(withConfigOption(yargs, false))
      .positional('archive', { type: 'string', describe: 'the .tar.gz archive (default: the newest in --dir or archives.dir)' })
      .option('dir', { type: 'string', describe: 'backup directory to take the newest archive from', requiresArg: true })
      .option('environment', { type: 'string', describe: 'with --dir: the newest archive of this environment', requiresArg: true })
      .option('max-age-hours', { type: 'number', describe: 'fail archive-age past this age (overrides the configuration)', requiresArg: true }),
  async run(argv, { output, signal }) {
    const commandStart = commandStartNow();
    output.verbose = argv.verbose;
    const loaded = argv.config === undefined ? undefined : await loadConfigFor(argv.config, output);
    const path = await resolveArchive(argv, loaded?.config);
    const maxAge = argv['max-age-hours'];
    if (maxAge !== undefined && !(typeof maxAge === 'number' && Number.isFinite(maxAge) && maxAge > 0)) {
      throw new UsageError('--max-age-hours must be a positive number of hours');
    }
    // The report is about the archive: its environment is the one in its file name.
    const environment = parseArchiveName(basename(path))?.environment ?? loaded?.config.environment ?? 'unknown';
    const base = loaded?.config ?? configSchema.parse({ environment });
    // With a selfHosted section, the configured sources say which members an archive must hold.
    const archives = archivesOfStack(base);
    const config: Config = {
      ...base,
      environment,
      archives:
        typeof maxAge === 'number'
          ? { ...archives, environments: { ...archives.environments, [environment]: { ...archives.environments[environment], maxAgeHours: maxAge } } }
          : archives,
    };

    // With report.store, the verify report joins the stored record of the archive's environment (its own prefix).
    const request = withReportStore(reportRequest(argv, loaded?.config), loaded ? config : undefined, output);
    await request.store?.ensurePulled();

    const size = statSync(path).size;
    const bar =
      output.stderrInteractive && size >= PROGRESS_MIN_BYTES ? new ProgressBar((text) => output.errRaw(text), `verifying ${basename(path)}`) : undefined;
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(archives.timeoutMs)]);
    const gateways = new LiveGateways(config);
    // The one streaming pass over the archive, made when the first archive-* check asks and shared by all of them.
    const options = { limits: archives.limits, signal: deadline, ...(bar ? { onProgress: (done: number, total: number) => bar.update(done, total) } : {}) };
    const archive = once(() => verifyArchive(path, options));
    const result = await runThenClose(
      {
        command: 'verify',
        checks: checksFor('verify'),
        config,
        gateways,
        inputs: { archive },
        only: argv.only,
        failOn: argv['fail-on'],
        log: output.logger(),
        signal,
        limits: { checkTimeoutMs: archives.timeoutMs, runTimeoutMs: archives.timeoutMs + 60_000 },
        commandStart,
        provenance: collectProvenance({ cwd: process.cwd(), env: output.env, config: loaded?.config, archive: path }),
      },
      () => bar?.finish(),
    );
    await emitReports(result, request, output);
    output.exitCode = exitCodeFor(result.outcome);
  },
});
