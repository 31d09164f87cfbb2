import { checksFor } from '../../checks/index.js';
import { LiveGateways } from '../../run/gateways.js';
import { exitCodeFor } from '../../run/result.js';
import type { CommandSpec } from '../command.js';
import { emitReports } from '../report-files.js';
import { failOnOption, loadConfigFor, reportRequest, runThenClose, withConfigOption, withReportOptions } from '../shared-options.js';

export const checkCommand: CommandSpec = {
  command: 'check',
  describe: 'the monthly dry-run: database, Alembic, core rows, signed document, Azure backups and settings (read-only)',
  builder: (yargs) => withReportOptions(withConfigOption(yargs, true)),
  async run(argv, { output, signal }) {
    output.verbose = Boolean(argv.verbose);
    const { config, configDir } = await loadConfigFor(argv, output);
    const request = reportRequest(argv, config);
    const result = await runThenClose({
      command: 'check',
      checks: checksFor('check'),
      config,
      configDir,
      gateways: new LiveGateways(config, configDir),
      only: argv.only as string[] | undefined,
      failOn: failOnOption(argv),
      log: output.logger(),
      signal,
    });
    await emitReports(result, request, output);
    output.exitCode = exitCodeFor(result.outcome);
  },
};
