import { checksFor } from '../../checks/index.js';
import { LiveGateways, sharedAzure } from '../../run/gateways.js';
import { collectProvenance } from '../../run/provenance.js';
import { exitCodeFor } from '../../run/result.js';
import { commandStartNow } from '../../run/runner.js';
import { defineCommand } from '../command.js';
import { emitReports } from '../report-files.js';
import { withReportStore } from '../report-store-sync.js';
import { storedReportsInput } from '../stored-reports-input.js';
import { runFleetChecks } from '../../run/fleet-check.js';
import { loadConfigFor, reportRequest, runThenClose, shardFor, withConfigOption, withReportOptions, withShardOption } from '../shared-options.js';

export const checkCommand = defineCommand({
  builder: (yargs) => withShardOption(withReportOptions(withConfigOption(yargs, true))),
  async run(argv, { output, signal }) {
    const commandStart = commandStartNow();
    output.verbose = argv.verbose;
    const { config } = await loadConfigFor(argv.config, output);
    const shard = shardFor(argv, config);
    const request = withReportStore(reportRequest(argv, config), config, output, { push: shard === undefined });
    // A store that cannot be read stops the run now, not after the checks.
    await request.store?.ensurePulled();
    // Fleet mode: one credential and one request cap (azure.maxParallelRequests) for discovery and every resource.
    const shared = config.azure?.discover ? sharedAzure(config) : undefined;
    const options = {
      command: 'check',
      checks: checksFor('check'),
      config,
      gateways: new LiveGateways(config, shared ? { azure: shared } : {}),
      inputs: storedReportsInput(config, request.store),
      only: argv.only,
      failOn: argv['fail-on'],
      log: output.logger(),
      signal,
      commandStart,
      provenance: collectProvenance({ cwd: process.cwd(), env: output.env, config }),
    };
    // Fleet mode (azure.discover): every resource in scope, one finding per check and resource.
    const result = config.azure?.discover
      ? await runFleetChecks({ ...options, ...(shard ? { shard } : {}), gatewaysFor: (own) => new LiveGateways(own, { azure: shared }) }).finally(() =>
          options.gateways.close(),
        )
      : await runThenClose(options);
    await emitReports(result, request, output);
    output.exitCode = exitCodeFor(result.outcome);
  },
});
