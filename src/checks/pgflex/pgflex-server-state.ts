import { EvaluationError } from '../../errors.js';
import { known } from '../azure-property.js';
import { CONTROLS, defineCheck } from '../types.js';

/**
 * States the server passes through on its own and leaves for Ready (KnownServerState in the spec: Updating is e.g. a
 * firewall rule being added, "which doesn't cause any unavailability"; Starting and Restarting restart the engine).
 * Every other state but Ready fails: Stopped, Stopping, Disabled, Inaccessible, Dropping, Provisioning and any new one.
 */
const TRANSIENT_STATES = new Set(['Updating', 'Starting', 'Restarting']);

export const pgflexServerState = defineCheck({
  id: 'pgflex-server-state',
  title: 'The Flexible Server exists and is Ready',
  severity: 'critical',
  description: 'Reads the Flexible Server from Azure Resource Manager (servers.get) and checks its state.',
  risk: 'Backups of a server that is stopped, disabled or gone are not being taken, and the server cannot be restored from while it is in that state.',
  remediation:
    'Start the server (`az postgres flexible-server start -g RG -n SERVER`) or find out why it is not Ready (`az postgres flexible-server show -g RG -n SERVER --query state`).',
  controls: [CONTROLS.backup, CONTROLS.continuity, CONTROLS.hdsBackup],
  needs: ['azurePostgres'],
  command: 'check',
  async run(ctx) {
    const { resourceGroup, server } = ctx.config.azure.postgres;
    let found;
    try {
      found = await ctx.gateways.azurePostgres().getServer(resourceGroup, server);
    } catch (error) {
      // The one check for which "not found" is an answer rather than an obstacle.
      if (error instanceof EvaluationError && error.kind === 'not-found') {
        return {
          status: 'fail',
          message: `Flexible Server ${server} was not found in resource group ${resourceGroup}; expected an existing, Ready server.`,
          evidence: { exists: false, server, resourceGroup },
        };
      }
      throw error;
    }
    const state = known(found.state, `the state of Flexible Server ${server}`);
    const evidence = { exists: true, server, resourceGroup, state, version: found.version ?? null, location: found.location ?? null };
    if (TRANSIENT_STATES.has(state)) {
      return {
        status: 'warn',
        message: `Flexible Server ${server} is ${state} (an operation in progress that ends by itself; backups go on); expected Ready.`,
        evidence: { ...evidence, transient: true },
      };
    }
    if (state !== 'Ready') {
      return { status: 'fail', message: `Flexible Server ${server} is ${state}; expected Ready.`, evidence };
    }
    return {
      status: 'pass',
      message: `Flexible Server ${server} (PostgreSQL ${found.version ?? 'version unknown'}, ${found.location ?? 'region unknown'}) is Ready.`,
      evidence,
    };
  },
});
