import { UsageError } from '../../errors.js';
import { defineCommand } from '../command.js';

/** Runs the local Resource Manager simulator until Ctrl-C; prints what a client must export to use it. */
export const simulatorCommand = defineCommand({
  builder: (yargs) =>
    yargs
      .option('scenario', {
        type: 'string',
        describe: 'scenario file (YAML or JSON), e.g. examples/scenarios/healthy.yaml',
        demandOption: 'pass the scenario with --scenario FILE',
        requiresArg: true,
      })
      .option('port', { type: 'number', describe: 'port to listen on (default: a free one)', requiresArg: true })
      .option('host', { type: 'string', describe: 'address to listen on', default: '127.0.0.1', requiresArg: true }),
  async run(argv, { output, signal }) {
    const port = argv.port;
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError(`--port ${String(port)} is not a port number`);
    // Loaded here, not at the top: production code never imports the simulator (scripts/check-imports.mjs).
    const [{ loadScenarioFile }, { startSimulator }, { realPointInTimeRestores }] = await Promise.all([
      import('../../simulator/scenario.js'),
      import('../../simulator/resource-manager.js'),
      import('../../simulator/point-in-time-restore.js'),
    ]);
    const scenario = await loadScenarioFile(argv.scenario);
    // A server with restore.databaseUrl in the scenario is restored for real (a PostgreSQL copy on 127.0.0.2, …).
    const sim = await startSimulator({ scenario, host: argv.host, hooks: realPointInTimeRestores(), ...(port !== undefined ? { port } : {}) });
    try {
      output.err(
        `Resource Manager simulator listening on ${sim.endpoint} (${scenario.servers.length} server(s), ${scenario.storageAccounts.length} storage account(s)); Ctrl-C stops it.`,
      );
      output.err('Export these in the shell that runs restorecheck, and use the endpoint and subscription in the configuration:');
      const lines = [
        ...Object.entries(sim.env).map(([name, value]) => `export ${name}='${value}'`),
        `# azure.resourceManagerEndpoint: ${sim.endpoint}`,
        `# azure.subscriptionId: ${sim.subscriptionId}`,
        // The blob data plane (soft delete, versions, Undelete), path-style: one URL per storage account of the scenario.
        ...scenario.storageAccounts.map((a) => `# blob endpoint of ${a.name}: ${sim.blobEndpoint(a.name)}`),
      ];
      output.out(`${lines.join('\n')}\n`);
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await sim.stop();
      output.err('simulator stopped');
    }
  },
});
