/**
 * The world of the database checks' tests: the real engine and the real gateway against a throwaway PostgreSQL
 * cluster (TLS on, every statement logged) whose Alembic state is made by the real Alembic.
 *
 * A test file calls `useDbCheckCluster()` once, at its top level: the cluster starts before the file's first test
 * and is removed after its last, so each check's file runs alone. The `let` exports are live bindings, set by the
 * time a test runs. The cluster holds:
 * - clinic: patients (5 rows), documents (two signed, one not), canary, audit."Event Log" (2 rows), empty_table;
 * - branched, empty: no tables (empty: SELECT granted on its public schema);
 * - the roles reader (SELECT only), su (superuser), writeall (pg_write_all_data), tableowner (owns a table) and
 *   granted (UPDATE on patients), all with CANARY_PASSWORD, which a run must never print.
 * With `{ alembic: true }`, clinic is also upgraded by real Alembic to head d0000001 of `project` (a branch label and a
 * merge), and branched is left on two unmerged heads e0000001, f0000001 of `branched`. Only the Alembic tests need it:
 * it costs a few seconds of Python.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { checksFor } from '../../src/checks/index.js';
import { parseConfigText } from '../../src/config/load.js';
import { LiveGateways } from '../../src/run/gateways.js';
import type { CheckResult } from '../../src/run/result.js';
import { runChecks } from '../../src/run/runner.js';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';
import { type AlembicProject, createAlembicProject } from './alembic.js';

export const CANARY_PASSWORD = 'canary-Pw-7f3a9c';

export let cluster: PostgresCluster;
/** The directory the configuration is read from (relative paths such as migrationsDir resolve against it). */
export let work: string;
/** Set only with `{ alembic: true }`: the clinic database's migration history (app/migrations/versions). */
export let project: AlembicProject;
/** Set only with `{ alembic: true }`: the branched database's two-base history (branchy/migrations/versions). */
export let branched: AlembicProject;

/** Runs every `check` check on the configuration `configYaml`, asserts no result leaks the password, and returns them by id. */
export async function run(configYaml: string, env: Record<string, string> = {}): Promise<Record<string, CheckResult>> {
  const { config } = parseConfigText(configYaml, join(work, 'restorecheck.yaml'), env);
  const gateways = new LiveGateways(config);
  try {
    const result = await runChecks({ command: 'check', checks: checksFor('check'), config, gateways });
    for (const check of result.checks) assert.ok(!JSON.stringify(check).includes(CANARY_PASSWORD), `password leaked in ${check.id}`);
    return Object.fromEntries(result.checks.map((c) => [c.id, c]));
  } finally {
    await gateways.close();
  }
}

/** The URL of `database` for the read-only role; without TLS unless `params` says otherwise. */
export const readerUrl = (database: string, params: Record<string, string> = { sslmode: 'disable' }) =>
  cluster.url({ user: 'reader', password: CANARY_PASSWORD, database, params });

/** A configuration file with the database `url` and a short connect timeout; `extra` adds lines under `database:`. */
export const base = (url: string, extra = '') => `environment: test\ndatabase:\n  url: "${url}"\n  connectTimeoutMs: 3000\n${extra}`;

/** Starts the cluster before the calling file's tests and removes it (and the work directory) after them. */
export function useDbCheckCluster(options: { alembic?: boolean } = {}): void {
  before(async () => {
    cluster = await startCluster({ tls: true, settings: { log_statement: 'all' } });
    work = await mkdtemp(join(tmpdir(), 'restorecheck-dbchecks-'));
    await cluster.sql('CREATE DATABASE clinic');
    await cluster.sql('CREATE DATABASE branched');
    await cluster.sql('CREATE DATABASE empty');
    await cluster.sql(`CREATE ROLE reader LOGIN PASSWORD '${CANARY_PASSWORD}'`);
    await cluster.sql(
      `
      CREATE TABLE patients (id serial PRIMARY KEY, name text);
      INSERT INTO patients (name) SELECT 'p' || g FROM generate_series(1, 5) g;
      CREATE TABLE documents (id serial PRIMARY KEY, blob_name text, sha256 text, signed_at timestamptz);
      INSERT INTO documents (blob_name, sha256, signed_at) VALUES
        ('2026/11/consent-1.pdf', '${'ab'.repeat(32)}', now() - interval '2 days'),
        ('2026/11/consent-2.pdf', '${'CD'.repeat(32)}', now() - interval '1 day'),
        ('2026/11/unsigned.pdf', NULL, NULL);
      CREATE TABLE canary (id int); INSERT INTO canary VALUES (1);
      CREATE SCHEMA audit; CREATE TABLE audit."Event Log" (id int); INSERT INTO audit."Event Log" VALUES (1), (2);
      CREATE TABLE empty_table (id int);
      GRANT USAGE ON SCHEMA audit TO reader;
      GRANT SELECT ON ALL TABLES IN SCHEMA public, audit TO reader;`,
      'clinic',
    );
    await cluster.sql('GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader', 'empty');
    for (const role of ['su SUPERUSER', 'writeall', 'tableowner', 'granted']) await cluster.sql(`CREATE ROLE ${role} LOGIN PASSWORD '${CANARY_PASSWORD}'`);
    await cluster.sql(
      `
      GRANT pg_write_all_data TO writeall;
      CREATE TABLE owned_by_tableowner (id int); ALTER TABLE owned_by_tableowner OWNER TO tableowner;
      GRANT SELECT, UPDATE ON patients TO granted;`,
      'clinic',
    );
    if (options.alembic) await makeAlembicStates();
  });

  after(async () => {
    await cluster?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });
}

async function makeAlembicStates(): Promise<void> {
  // Real Alembic: a history with a branch label and a merge, upgraded to its head.
  const sqlalchemyUrl = (db: string) => `postgresql+psycopg2://postgres:${cluster.password}@127.0.0.1:${cluster.port}/${db}`;
  const dirA = join(work, 'app');
  const dirB = join(work, 'branchy');
  await Promise.all([mkdir(dirA, { recursive: true }), mkdir(dirB, { recursive: true })]);
  project = await createAlembicProject(dirA, sqlalchemyUrl('clinic'));
  await project.revision('a0000001', 'create patients');
  await project.revision('b0000001', 'audit', { head: 'base', branchLabel: 'audit' });
  await project.alembic('merge', '-m', 'merge', '--rev-id', 'c0000001', 'heads');
  await project.revision('d0000001', 'documents');
  await project.alembic('upgrade', 'head');
  await cluster.sql('GRANT SELECT ON alembic_version TO reader', 'clinic');
  // A database left on two unmerged branches.
  branched = await createAlembicProject(dirB, sqlalchemyUrl('branched'));
  await branched.revision('e0000001', 'main');
  await branched.revision('f0000001', 'side', { head: 'base', branchLabel: 'side' });
  await branched.alembic('upgrade', 'heads');
  await cluster.sql('GRANT SELECT ON alembic_version TO reader', 'branched');
}
