/**
 * The fleet restore plan in words (restore-test in fleet mode): one summary line on stderr before the restores start,
 * and with --dry-run the whole plan on stdout, one server a line, instead of restoring anything.
 */
import type { FleetRestoreSelection } from '../run/fleet-restore-test.js';
import type { PlannedRestore } from '../run/result.js';
import type { Shard } from '../run/shard.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "5 Flexible Servers (shard 1/2 of a fleet of 9), each restored every 90 days, at most 2 per run". */
function scopeText(selection: FleetRestoreSelection, shard: Shard | undefined): string {
  const { plan, servers } = selection;
  const fleetServers = selection.fleet.filter((r) => r.kind === 'postgres').length;
  const where = shard ? ` (shard ${shard.index}/${shard.count} of a fleet of ${fleetServers})` : '';
  const cap = plan.maxServers === null ? '' : `, at most ${plan.maxServers} per run`;
  return `${plural(servers.length, 'Flexible Server')}${where}, each restored every ${plural(plan.everyDays, 'day')}${cap}`;
}

/** The one line on stderr before a fleet run's restores start. */
export function planSummary(selection: FleetRestoreSelection, shard: Shard | undefined): string {
  const { plan } = selection;
  return (
    `restore-test: fleet mode: ${scopeText(selection, shard)}; restoring ${plan.picked.length}` +
    `${plan.picked.length ? ` (${plan.picked.map((p) => p.name).join(', ')})` : ''}, ${plan.deferred.length} due but deferred (restoreTest.maxServers), ` +
    `${plan.notDue.length} not due`
  );
}

function serverLine(what: string, p: PlannedRestore, groupOf: (id: string) => string): string {
  const record = p.lastSuccessAt
    ? `last restored ${p.lastSuccessAt.slice(0, 10)} (${p.lastReport}), due ${what === 'not due' ? 'on' : 'since'} ${p.dueOn}`
    : 'never restored';
  return `  ${what.padEnd(8)}  ${`${groupOf(p.id)}/${p.name}`.padEnd(40)}  ${record}\n`;
}

/** --dry-run: the whole plan, in the order the servers would be restored. */
export function planText(selection: FleetRestoreSelection, shard: Shard | undefined): string {
  const { plan } = selection;
  const groups = new Map(selection.fleet.map((r) => [r.id.toLowerCase(), r.resourceGroup]));
  const groupOf = (id: string) => groups.get(id.toLowerCase()) ?? '?';
  return (
    `restore plan on ${plan.plannedAt.slice(0, 10)}: ${scopeText(selection, shard)}\n` +
    plan.picked.map((p) => serverLine('restore', p, groupOf)).join('') +
    plan.deferred.map((p) => serverLine('deferred', p, groupOf)).join('') +
    plan.notDue.map((p) => serverLine('not due', p, groupOf)).join('') +
    `${plan.picked.length} to restore, ${plan.deferred.length} deferred, ${plan.notDue.length} not due (dry run: nothing was restored)\n`
  );
}
