import { EvaluationError } from '../../errors.js';
import { known } from '../azure-property.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, postgresSlots } from '../types.js';

/**
 * States the server passes through on its own and leaves for Ready (KnownServerState in the spec: Updating is e.g. a
 * firewall rule being added, "which doesn't cause any unavailability"; Starting and Restarting restart the engine).
 * Every other state but Ready fails: Stopped, Stopping, Disabled, Inaccessible, Dropping, Provisioning and any new one.
 */
const TRANSIENT_STATES = new Set(['Updating', 'Starting', 'Restarting']);

const t = messages('pgflex-server-state', {
  notFound: text<{ server: string; resourceGroup: string }>(
    (p) => `Flexible Server ${p.server} was not found in resource group ${p.resourceGroup}; expected an existing, Ready server.`,
    (p) => `Le Flexible Server ${p.server} est introuvable dans le groupe de ressources ${p.resourceGroup} ; un serveur existant, à l’état Ready, est attendu.`,
  ),
  transient: text<{ server: string; state: string }>(
    (p) => `Flexible Server ${p.server} is ${p.state} (an operation in progress that ends by itself; backups go on); expected Ready.`,
    (p) =>
      `Le Flexible Server ${p.server} est à l’état ${p.state} (une opération en cours qui se termine d’elle-même ; les sauvegardes continuent) ; Ready attendu.`,
  ),
  notReady: text<{ server: string; state: string }>(
    (p) => `Flexible Server ${p.server} is ${p.state}; expected Ready.`,
    (p) => `Le Flexible Server ${p.server} est à l’état ${p.state} ; Ready attendu.`,
  ),
  ready: text<{ server: string; version: string | null; location: string | null }>(
    (p) => `Flexible Server ${p.server} (PostgreSQL ${p.version ?? 'version unknown'}, ${p.location ?? 'region unknown'}) is Ready.`,
    (p) => `Le Flexible Server ${p.server} (PostgreSQL ${p.version ?? 'version inconnue'}, ${p.location ?? 'région inconnue'}) est à l’état Ready.`,
  ),
});

// A.8.13 (backups are taken only from a running server) and A.5.30 (a server that can be restored from).
export const pgflexServerState = defineCheck({
  id: 'pgflex-server-state',
  title: 'The Flexible Server exists and is Ready',
  severity: 'critical',
  description: 'Reads the Flexible Server from Azure Resource Manager (servers.get) and checks its state.',
  risk: 'Backups of a server that is stopped, disabled or gone are not being taken, and the server cannot be restored from while it is in that state.',
  remediation:
    'Start the server (`az postgres flexible-server start -g <resource-group> -n <server>`) or find out why it is not Ready ' +
    '(`az postgres flexible-server show -g <resource-group> -n <server> --query state`).',
  fr: {
    title: 'Le Flexible Server existe et est à l’état Ready',
    description: 'Lit le Flexible Server dans Azure Resource Manager (servers.get) et contrôle son état.',
    risk: 'Un serveur arrêté, désactivé ou supprimé n’est plus sauvegardé, et aucune restauration n’est possible depuis ce serveur tant qu’il reste dans cet état.',
    remediation:
      'Démarrer le serveur (`az postgres flexible-server start -g <resource-group> -n <server>`) ou chercher pourquoi il n’est pas à l’état Ready ' +
      '(`az postgres flexible-server show -g <resource-group> -n <server> --query state`).',
  },
  slots: postgresSlots,
  controls: [CONTROLS.backup, CONTROLS.continuity],
  needs: ['azurePostgres'],
  command: 'check',
  async run(ctx) {
    const { resourceGroup, server } = ctx.config.azure.postgres;
    let found;
    try {
      found = await ctx.gateways.azurePostgres().getServer(resourceGroup, server);
    } catch (error) {
      // The one check for which "not found" is an answer rather than an obstacle; but not for a server of the fleet that
      // Resource Graph listed a moment ago: gone (or moved) since discovery, it was not judged, and says so (issue 17).
      if (error instanceof EvaluationError && error.kind === 'not-found' && ctx.fleetResource) {
        throw new EvaluationError(
          'not-found',
          `Flexible Server ${server} (resource group ${resourceGroup}) was listed by Azure Resource Graph but Resource Manager no longer finds it: deleted or moved since discovery`,
          'run again: a deleted server leaves the fleet at the next discovery (Resource Graph lags Resource Manager by up to a few minutes)',
          error.requestId ? { requestId: error.requestId } : {},
        );
      }
      if (error instanceof EvaluationError && error.kind === 'not-found') {
        return { status: 'fail', message: t.notFound({ server, resourceGroup }), evidence: { exists: false, server, resourceGroup } };
      }
      throw error;
    }
    const state = known(found.state, `the state of Flexible Server ${server}`);
    const evidence = { exists: true, server, resourceGroup, state, version: found.version ?? null, location: found.location ?? null };
    if (TRANSIENT_STATES.has(state)) {
      return { status: 'warn', message: t.transient({ server, state }), evidence: { ...evidence, transient: true } };
    }
    if (state !== 'Ready') {
      return { status: 'fail', message: t.notReady({ server, state }), evidence };
    }
    return { status: 'pass', message: t.ready({ server, version: found.version ?? null, location: found.location ?? null }), evidence };
  },
});
