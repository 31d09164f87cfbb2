/**
 * The world of an end-to-end Azure restore test: a real throwaway PostgreSQL as the source, and the Resource Manager
 * simulator whose point-in-time restores copy it for real. Started together; if either fails to start, the other is
 * stopped and the failure thrown. The tests of one concern (network, failures, Entra) each start one in `before`.
 */
import { type RealRestoreHooks, realPointInTimeRestores } from '../../src/simulator/point-in-time-restore.js';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/resource-manager.js';
import { parseScenario } from '../../src/simulator/scenario.js';

export interface RestoreWorld {
  sim: RunningSimulator;
  hooks: RealRestoreHooks;
  cluster: PostgresCluster;
  stop(): Promise<void>;
}

export async function startRestoreWorld(): Promise<RestoreWorld> {
  const hooks = realPointInTimeRestores();
  const [cluster, sim] = await Promise.allSettled([startCluster(), startSimulator({ scenario: parseScenario({}), hooks })]);
  const stop = async () => {
    if (sim.status === 'fulfilled') await sim.value.stop();
    if (cluster.status === 'fulfilled') await cluster.value.stop();
  };
  if (cluster.status === 'rejected' || sim.status === 'rejected') {
    await stop();
    throw cluster.status === 'rejected' ? cluster.reason : (sim as PromiseRejectedResult).reason;
  }
  return { sim: sim.value, hooks, cluster: cluster.value, stop };
}
