/**
 * Every command, in the order `--help` lists them: its usage and one line, and how to load it. A command's module
 * (and what it imports: the checks, zod schemas, pg, the Azure SDKs) is loaded only when that command runs, so
 * `restorecheck --help` reads this file alone (bench/startup.ts measures it).
 */
import type { LoadedCommand } from './command.js';

export interface CommandEntry {
  /** The word on the command line. */
  name: string;
  /** yargs usage: the name and its positional arguments. */
  usage: string;
  describe: string;
  /**
   * Writes reports: a refusal of it is recorded in its report directory's audit log (cli/refusal-audit.ts). `{ action }`:
   * only that action writes reports (`report merge`), and its refusal is recorded as `<name> <action>`.
   */
  reports: boolean | { action: string };
  load(): Promise<LoadedCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'check',
    usage: 'check',
    describe: 'the monthly dry-run: database, Alembic, core rows, signed document, Azure backups and settings (read-only)',
    reports: true,
    load: async () => (await import('./commands/check.js')).checkCommand,
  },
  {
    name: 'restore-test',
    usage: 'restore-test [action]',
    describe:
      'a real restore: Azure point-in-time restore to a NEW server, or an archive dump into a throwaway PostgreSQL; checked, compared, timed, then deleted',
    reports: true,
    load: async () => (await import('./commands/restore-test.js')).restoreTestCommand,
  },
  {
    name: 'backup',
    usage: 'backup',
    describe: 'write a self-hosted backup archive: every configured component dumped with its own tool, a manifest, a sidecar (and signature), then verified',
    reports: true,
    load: async () => (await import('./commands/backup.js')).backupCommand,
  },
  {
    name: 'restore',
    usage: 'restore [archive]',
    describe:
      'the real restore of a self-hosted stack from its archive (or `latest`): verified, confirmed, a safety backup first, then each component put back and the health checked',
    reports: true,
    load: async () => (await import('./commands/restore.js')).restoreCommand,
  },
  {
    name: 'verify',
    usage: 'verify [archive]',
    describe: 'verify a self-hosted backup archive in one read: sidecar checksum, gzip/tar integrity, members, dumps, metadata, age',
    reports: true,
    load: async () => (await import('./commands/verify.js')).verifyCommand,
  },
  {
    name: 'retention',
    usage: 'retention <dir>',
    describe: 'audit a backup directory against the retention policy; delete expired archives (with their sidecars) only with --apply',
    reports: false,
    load: async () => (await import('./commands/retention.js')).retentionCommand,
  },
  {
    name: 'validate-config',
    usage: 'validate-config',
    describe: 'validate a configuration file without contacting anything',
    reports: false,
    load: async () => (await import('./commands/validate-config.js')).validateConfigCommand,
  },
  {
    name: 'list-checks',
    usage: 'list-checks',
    describe: 'the check catalogue: id, title, severity, controls',
    reports: false,
    load: async () => (await import('./commands/list-checks.js')).listChecksCommand,
  },
  {
    name: 'doctor',
    usage: 'doctor',
    describe: 'what this machine has for each component: the backup tools and restore-test servers found (with versions), and what is missing (read-only)',
    reports: false,
    load: async () => (await import('./commands/doctor.js')).doctorCommand,
  },
  {
    name: 'report',
    usage: 'report <action> <paths..>',
    describe:
      'work with stored reports: `report verify DIR` checks the hash chain and audit log; `report render FILE.json --format FMT` re-renders one; `report merge DIR...` joins the shard reports of a fleet run',
    reports: { action: 'merge' },
    load: async () => (await import('./commands/report.js')).reportCommand,
  },
  {
    name: 'init',
    usage: 'init',
    describe: 'write a commented restorecheck.yaml and a monthly CI workflow (GitHub Actions, Azure DevOps) for your subscription',
    reports: false,
    load: async () => (await import('./commands/init.js')).initCommand,
  },
  {
    name: 'demo',
    usage: 'demo',
    describe: 'the monthly check and a restore test on a built-in local sandbox (PostgreSQL, Azurite, an Azure simulator): no account, no external service',
    reports: false,
    load: async () => (await import('./commands/demo.js')).demoCommand,
  },
  {
    name: 'simulator',
    usage: 'simulator',
    describe: 'run a local Azure Resource Manager simulator (HTTPS, managed-identity tokens) from a scenario file, until Ctrl-C',
    reports: false,
    load: async () => (await import('./commands/simulator.js')).simulatorCommand,
  },
];
