import { checksFor } from '../../checks/index.js';
import { LiveGateways } from '../../run/gateways.js';
import { exitCodeFor } from '../../run/result.js';
import { runChecks } from '../../run/runner.js';
import type { CommandSpec } from '../command.js';
import { emitReports } from '../report-files.js';
import { failOnOption, loadConfigFor, reportRequest, withConfigOption, withReportOptions } from '../shared-options.js';

export const checkCommand: CommandSpec = {
  command: 'check',
  describe: 'the monthly dry-run: database, Alembic, core rows, signed document, Azure backups and settings (read-only)',
  builder: (yargs) => withReportOptions(withConfigOption(yargs, true)),
  async run(argv, { output, signal }) {
    output.verbose = Boolean(argv.verbose);
    const { config, configDir } = await loadConfigFor(argv, output);
    const request = reportRequest(argv, config);
    const gateways = new LiveGateways(config, configDir);
    let result;
    try {
      result = await runChecks({
        command: 'check',
        checks: checksFor('check'),
        config,
        configDir,
        gateways,
        only: argv.only as string[] | undefined,
        failOn: failOnOption(argv),
        log: output.logger(),
        signal,
      });
    } finally {
      await gateways.close();
    }
    await emitReports(result, request, output);
    output.exitCode = exitCodeFor(result.outcome);
  },
};
