/**
 * The smoke test on a restored copy (restore/smoke-test.ts) against a real PostgreSQL: the queries through the real
 * gateway (read-only, each with its deadlines), the command in its own process group with the copy's connection in its
 * environment, and its output masked. restore-smoke's verdict on what it ran is asserted as the run would give it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { judgeSmokeCommand, judgeSmokeQuery } from '../../src/checks/restore/restore-smoke.js';
import { parseConfigText } from '../../src/config/load.js';
import { openDatabase } from '../../src/db/postgres.js';
import { runSmokeTest } from '../../src/restore/smoke-test.js';
import { type PostgresCluster, startCluster } from '../../src/simulator/postgres-cluster.js';
import type { Logger } from '../../src/vocabulary.js';

const PASSWORD = 'smoke-Canary-Pw-51d2e0';
let cluster: PostgresCluster;
let work: string;
let url: string;
const lines: string[] = [];
const log: Logger = { info: (l: string) => lines.push(l), debug: () => undefined } as unknown as Logger;

before(async () => {
  cluster = await startCluster();
  work = await mkdtemp(join(tmpdir(), 'restorecheck-smoke-'));
  await cluster.sql(`CREATE ROLE smoke LOGIN PASSWORD '${PASSWORD}'`);
  await cluster.sql('CREATE DATABASE clinic OWNER smoke');
  await cluster.sql(
    `SET ROLE smoke; CREATE TABLE patients (id bigint PRIMARY KEY); INSERT INTO patients SELECT generate_series(1, 120);
     CREATE TABLE documents (id int, signed_at timestamptz, sha256 text);
     INSERT INTO documents VALUES (1, now(), 'abc'), (2, now(), NULL), (3, NULL, NULL);`,
    'clinic',
  );
  url = cluster.url({ user: 'smoke', password: PASSWORD, database: 'clinic', params: { sslmode: 'disable' } });
});

after(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function configOf(restoreTest: string) {
  return parseConfigText(`environment: test\nrestoreTest:\n${restoreTest}`, join(work, 'restorecheck.yaml'), {}).config;
}

async function smoke(restoreTest: string, target = url, signal = new AbortController().signal) {
  const config = configOf(restoreTest);
  const db = openDatabase(target, { statementTimeoutMs: 5_000, connectTimeoutMs: 5_000 });
  try {
    const results = await runSmokeTest(db, { config, connection: { url: target }, signal, log });
    assert.ok(results);
    return results;
  } finally {
    await db.close();
  }
}

describe('smoke queries on the restored copy', () => {
  it('passes, fails and errors each query on its own, in order; one failure does not stop the others', async () => {
    const r = await smoke(`  smoke:
    - name: patients
      sql: SELECT count(*) FROM patients
      expect: { atLeast: 100 }
    - name: too many patients
      sql: SELECT count(*) FROM patients
      expect: { atLeast: 1000 }
    - name: every signed document has a hash
      sql: SELECT count(*) FROM documents WHERE signed_at IS NOT NULL AND sha256 IS NULL
      expect: { equals: 0 }
    - name: missing table
      sql: SELECT 1 FROM appointments
      expect: { returnsRow: true }
    - name: a document exists
      sql: SELECT 1 FROM documents
      expect: { returnsRow: true }
    - name: is true
      sql: SELECT true
      expect: { equals: true }
    - name: big
      sql: SELECT 9007199254740993::bigint
      expect: { atLeast: 9007199254740992 }
    - name: a null
      sql: SELECT NULL::text
      expect: { equals: null }
`);
    const verdicts = r.queries.map((q) => [q.name, judgeSmokeQuery(q).status]);
    assert.deepEqual(verdicts, [
      ['patients', 'pass'],
      ['too many patients', 'fail'],
      ['every signed document has a hash', 'fail'],
      ['missing table', 'error'],
      ['a document exists', 'pass'],
      ['is true', 'pass'],
      ['big', 'pass'],
      ['a null', 'pass'],
    ]);
    assert.match(judgeSmokeQuery(r.queries[1]!).reason ?? '', /"too many patients" returned 120, expected at least 1000/);
    assert.match(judgeSmokeQuery(r.queries[2]!).reason ?? '', /returned 1, expected 0/);
    const missing = r.queries[3]!;
    assert.equal(missing.observed.ok, false);
    assert.match(!missing.observed.ok ? missing.observed.failure.message : '', /appointments/);
    assert.deepEqual(r.queries[0]!.observed.ok && r.queries[0]!.observed.value, { rows: 1, firstValue: '120', column: { name: 'count', type: 'int8' } });
  });

  it('runs read-only: a query that writes is an error, and nothing is written', async () => {
    const r = await smoke(`  smoke:
    - name: writes
      sql: INSERT INTO patients VALUES (999) RETURNING id
      expect: { returnsRow: true }
`);
    assert.equal(judgeSmokeQuery(r.queries[0]!).status, 'error');
    assert.match(!r.queries[0]!.observed.ok ? r.queries[0]!.observed.failure.message : '', /read-only/);
    assert.equal((await cluster.sql('SELECT count(*) FROM patients WHERE id = 999', 'clinic')).trim(), '0');
  });

  it('a query that hangs ends at smokeTimeoutSeconds as an error naming the deadline, and the next query still runs', async () => {
    const started = performance.now();
    const r = await smoke(`  smokeTimeoutSeconds: 1
  smoke:
    - name: hangs
      sql: SELECT pg_sleep(600)
      expect: { returnsRow: true }
    - name: after it
      sql: SELECT 1
      expect: { equals: 1 }
`);
    assert.ok(performance.now() - started < 30_000, 'the run waited for the query');
    const hung = r.queries[0]!;
    assert.equal(judgeSmokeQuery(hung).status, 'error');
    assert.equal(!hung.observed.ok && hung.observed.failure.kind, 'timeout');
    assert.match(!hung.observed.ok ? hung.observed.failure.message : '', /smokeTimeoutSeconds: 1 s/);
    assert.equal(judgeSmokeQuery(r.queries[1]!).status, 'pass');
  });

  it('a server that stops answering mid-query: the client-side deadline drops the connection', async () => {
    // A proxy that forwards until told to freeze, then swallows everything: a stalled network, not a slow query.
    let frozen = false;
    const sockets: Socket[] = [];
    const proxy: Server = createServer((client) => {
      const upstream = connect(cluster.port, cluster.host);
      sockets.push(client, upstream);
      client.on('data', (d) => {
        if (!frozen) upstream.write(d);
      });
      upstream.on('data', (d) => {
        if (!frozen) client.write(d);
      });
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as { port: number }).port;
    const target = cluster
      .url({ user: 'smoke', password: PASSWORD, database: 'clinic', params: { sslmode: 'disable' } })
      .replace(`:${cluster.port}/`, `:${port}/`);
    const db = openDatabase(target, { statementTimeoutMs: 5_000, connectTimeoutMs: 5_000 });
    try {
      await db.probe(); // the pool is open; from now on nothing comes back
      frozen = true;
      const started = performance.now();
      await assert.rejects(db.runSmokeQuery('SELECT 1', { timeoutMs: 1_000 }), (e: Error & { kind?: string }) => {
        assert.equal(e.kind, 'timeout');
        assert.match(e.message, /connection was dropped/);
        return true;
      });
      assert.ok(performance.now() - started < 20_000);
    } finally {
      await db.close().catch(() => undefined);
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe('the smoke command on the restored copy', () => {
  it('exit 0 passes, exit 1 fails; the command runs after the queries, in cwd, with progress lines', async () => {
    lines.length = 0;
    await writeFile(join(work, 'ok.sh'), 'echo "in $(pwd)"; psql -tAc "SELECT count(*) FROM patients"\n');
    const pass = await smoke(`  smoke:
    - name: one
      sql: SELECT 1
      expect: { equals: 1 }
  smokeCommand:
    run: [sh, ok.sh]
    timeoutSeconds: 60
`);
    assert.ok(pass.command);
    assert.equal(judgeSmokeCommand(pass.command).status, 'pass', pass.command.output);
    assert.match(pass.command.output, new RegExp(`in ${work}`));
    assert.match(pass.command.output, /^120$/m, 'libpq found the copy through PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD');
    assert.ok(lines.some((l) => /^restore-test: running the smoke command sh ok\.sh/.test(l)));
    assert.ok(lines.some((l) => /^restore-test: the smoke command exited with 0 after/.test(l)));

    const fail = await smoke(`  smokeCommand:
    run: [sh, -c, 'echo nope >&2; exit 1']
`);
    assert.ok(fail.command);
    const verdict = judgeSmokeCommand(fail.command);
    assert.equal(verdict.status, 'fail');
    assert.match(verdict.reason ?? '', /exited with 1, expected 0/);
    assert.match(fail.command.output, /nope/);
  });

  it('masks the password and the URL the command prints, and gets only the minimal environment', async () => {
    process.env.PARENT_SECRET = 'parent-secret-value';
    const r = await smoke(
      `  smokeCommand:
    run: [sh, -c, 'echo "pw=$PGPASSWORD url=$RESTORECHECK_DATABASE_URL user=$PGUSER"; echo "leak=$PARENT_SECRET"; exit 0']
`,
    );
    assert.ok(r.command);
    const out = r.command.output;
    assert.ok(!out.includes(PASSWORD), out);
    assert.match(out, /pw=\*\*\*/);
    assert.match(out, /url=\*\*\*|postgres:\/\/smoke:\*\*\*@/);
    assert.match(out, /user=smoke/);
    assert.match(out, /leak=$/m, 'a variable of this process reached the command');
    delete process.env.PARENT_SECRET;
  });

  it('a command past its deadline is killed with its process group; one that cannot start is an error', async () => {
    const pidFile = join(work, 'child.pid');
    const started = performance.now();
    const r = await smoke(`  smokeCommand:
    run: [sh, -c, 'sleep 300 & echo $! > ${pidFile}; wait']
    timeoutSeconds: 1
`);
    assert.ok(performance.now() - started < 30_000);
    assert.ok(r.command);
    assert.equal(judgeSmokeCommand(r.command).status, 'error');
    assert.match(!r.command.ran.ok ? r.command.ran.failure.message : '', /timeoutSeconds \(1 s\)/);
    const child = Number((await readFile(pidFile, 'utf8')).trim());
    assert.equal(await alive(child), false, 'the background sleep outlived the deadline');

    const missing = await smoke(`  smokeCommand:
    run: [no-such-program-restorecheck]
`);
    assert.ok(missing.command);
    assert.equal(judgeSmokeCommand(missing.command).status, 'error');
    assert.match(!missing.command.ran.ok ? missing.command.ran.failure.message : '', /could not be started.*ENOENT/);
  });

  it('Ctrl-C (the run signal) stops the command with its process group', async () => {
    const pidFile = join(work, 'ctrlc.pid');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('SIGINT')), 1_500).unref();
    const r = await smoke(
      `  smokeCommand:
    run: [sh, -c, 'sleep 300 & echo $! > ${pidFile}; wait']
`,
      url,
      controller.signal,
    );
    assert.ok(r.command);
    assert.equal(judgeSmokeCommand(r.command).status, 'error');
    assert.match(!r.command.ran.ok ? r.command.ran.failure.message : '', /interrupted/);
    assert.equal(await alive(Number((await readFile(pidFile, 'utf8')).trim())), false);
  });
});

/** True while the process exists and is not a zombie; waits a little for a killed one to go. */
async function alive(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (!stat || / Z /.test(stat)) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}
