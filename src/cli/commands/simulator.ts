import { loadScenarioFile } from '../../simulator/scenario.js';
import { startSimulator } from '../../simulator/resource-manager.js';
import { realPointInTimeRestores } from '../../simulator/point-in-time-restore.js';
import { UsageError } from '../../errors.js';
import type { CommandSpec } from '../command.js';

/** Runs the local Resource Manager simulator until Ctrl-C; prints what a client must export to use it. */
export const simulatorCommand: CommandSpec = {
  command: 'simulator',
  describe: 'run a local Azure Resource Manager simulator (HTTPS, managed-identity tokens) from a scenario file, until Ctrl-C',
  builder: (yargs) =>
    yargs
      .option('scenario', { type: 'string', describe: 'scenario file (YAML or JSON), e.g. examples/scenarios/healthy.yaml', demandOption: 'pass the scenario with --scenario FILE', requiresArg: true })
      .option('port', { type: 'number', describe: 'port to listen on (default: a free one)', requiresArg: true })
      .option('host', { type: 'string', describe: 'address to listen on', default: '127.0.0.1', requiresArg: true }),
  async run(argv, { output, signal }) {
    const port = argv.port as number | undefined;
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError(`--port ${String(port)} is not a port number`);
    const scenario = await loadScenarioFile(String(argv.scenario));
    // A server with restore.databaseUrl in the scenario is restored for real (a PostgreSQL copy on 127.0.0.2, …).
    const sim = await startSimulator({ scenario, host: String(argv.host), hooks: realPointInTimeRestores(), ...(port !== undefined ? { port } : {}) });
    try {
      output.err(`Resource Manager simulator listening on ${sim.endpoint} (${scenario.servers.length} server(s), ${scenario.storageAccounts.length} storage account(s)); Ctrl-C stops it.`);
      output.err('Export these in the shell that runs restorecheck, and use the endpoint and subscription in the configuration:');
      const lines = [
        ...Object.entries(sim.env).map(([name, value]) => `export ${name}='${value}'`),
        `# azure.resourceManagerEndpoint: ${sim.endpoint}`,
        `# azure.subscriptionId: ${sim.subscriptionId}`,
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
};
