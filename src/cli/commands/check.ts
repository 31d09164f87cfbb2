import { checksFor } from '../../checks/index.js';
import { LiveGateways } from '../../run/gateways.js';
import { collectProvenance } from '../../run/provenance.js';
import { exitCodeFor } from '../../run/result.js';
import { commandStartNow } from '../../run/runner.js';
import { defineCommand } from '../command.js';
import { emitReports } from '../report-files.js';
import { withReportStore } from '../report-store-sync.js';
import { storedReportsInput } from '../stored-reports-input.js';
import { loadConfigFor, reportRequest, runThenClose, withConfigOption, withReportOptions } from '../shared-options.js';

export const checkCommand = defineCommand({
  builder: (yargs) => withReportOptions(withConfigOption(yargs, true)),
  async run(argv, { output, signal }) {
    const commandStart = commandStartNow();
    output.verbose = argv.verbose;
    const { config } = await loadConfigFor(argv.config, output);
    const request = withReportStore(reportRequest(argv, config), config, output);
    // A store that cannot be read stops the run now, not after the checks.
    await request.store?.ensurePulled();
    const result = await runThenClose({
      command: 'check',
      checks: checksFor('check'),
      config,
      gateways: new LiveGateways(config),
      inputs: storedReportsInput(config, request.store),
      only: argv.only,
      failOn: argv['fail-on'],
      log: output.logger(),
      signal,
      commandStart,
      provenance: collectProvenance({ cwd: process.cwd(), env: output.env, config }),
    });
    await emitReports(result, request, output);
    output.exitCode = exitCodeFor(result.outcome);
  },
});
