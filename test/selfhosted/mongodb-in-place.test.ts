/**
 * MongoDB's in-place restore, OUR SIDE ONLY. MongoDB cannot run on this machine (no mongod, no mongorestore), so these
 * tests put a FAKE `mongorestore` (a shell script written below) first on PATH: it records its arguments, its standard
 * input and the config file it is given, and prints mongorestore's summary line. This proves what restorecheck hands
 * mongorestore (arguments, no password on any command line, the archive on stdin, the 0600 config file removed
 * after); it proves NOTHING about a restore into MongoDB.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { RestoreFailedError } from '../../src/errors.js';
import type { InPlaceContext } from '../../src/selfhosted/component.js';
import { MongoToolsMissingError, mongodb } from '../../src/selfhosted/mongodb.js';
import { type Workspace, parseSource, withPath, workspace } from '../helpers/component-harness.js';

const PASSWORD = 'Planted-Secret-m0ng0-in-place';
const MEMBER = 'mongodb/dump.archive.gz';

let ws: Workspace;
let fakeBin: string;
let record: string;
let context: () => Promise<InPlaceContext>;

/** The FAKE mongorestore: records argv (one per line), stdin, and the --config file with its mode; never a real restore. */
function fakeMongorestore(recordDir: string, exitCode = 0, stderr = '5 document(s) restored successfully. 0 document(s) failed to restore.'): string {
  return `#!/bin/sh
# FAKE mongorestore for restorecheck's tests: it records what it is given and restores nothing.
if [ "$1" = "--version" ]; then echo "mongorestore version: 100.0.0-FAKE"; exit 0; fi
printf '%s\\n' "$@" > '${recordDir}/argv'
for a in "$@"; do
  case "$a" in --config=*) f="\${a#--config=}"; cp "$f" '${recordDir}/config'; stat -c %a "$f" > '${recordDir}/config-mode';; esac
done
cat > '${recordDir}/stdin'
echo "2026-12-03T08:00:00.000+0000	${stderr}" >&2
exit ${exitCode}
`;
}

async function installFake(exitCode?: number, stderr?: string): Promise<void> {
  await writeFile(join(fakeBin, 'mongorestore'), fakeMongorestore(record, exitCode, stderr));
  await chmod(join(fakeBin, 'mongorestore'), 0o755);
}

const withFake = <T>(fn: () => Promise<T>) => withPath(`${fakeBin}:${process.env.PATH}`, fn);

before(async () => {
  ws = await workspace('mongodb-in-place');
  fakeBin = join(ws.dir, 'fake-bin');
  record = join(ws.dir, 'record');
  await mkdir(fakeBin);
  await mkdir(record);
  const ctx = await ws.context();
  context = async () => ({ runId: 'mg1', signal: AbortSignal.timeout(60_000), log: ctx.log, config: ctx.config, progress: () => undefined });
});

after(async () => {
  await ws?.remove();
});

describe('mongodb in-place restore (our side, against a FAKE mongorestore)', { timeout: 120_000 }, () => {
  it('runs mongorestore --drop --archive (no --gzip: the member comes decompressed), the archive on stdin, the password only in a 0600 file', async () => {
    await installFake();
    const archive = randomBytes(200_000);
    const source = parseSource('mongodb', { url: `mongodb://backup:${PASSWORD}@db.internal:27017/?authSource=admin` });
    const result = await withFake(async () => {
      const found = await mongodb.inPlace!.preflight(source, await context());
      assert.doesNotMatch(found.target, new RegExp(PASSWORD));
      return mongodb.inPlace!.restore(
        source,
        MEMBER,
        Readable.from([archive.subarray(0, 1000), archive.subarray(1000)]),
        { tool_version: 'x' },
        await context(),
      );
    });
    const argv = (await readFile(join(record, 'argv'), 'utf8')).trim().split('\n');
    assert.ok(argv.includes('--drop') && argv.includes('--archive'), argv.join(' '));
    assert.ok(!argv.includes('--gzip'), 'the content is the decompressed archive');
    assert.ok(argv.includes('--uri=mongodb://backup@db.internal:27017/?authSource=admin'), argv.join(' '));
    for (const arg of argv) assert.ok(!arg.includes(PASSWORD), `no password on the command line: ${arg}`);
    const config = argv.find((arg) => arg.startsWith('--config='))!.slice('--config='.length);
    assert.equal(await readFile(join(record, 'config'), 'utf8'), `password: "${PASSWORD}"\n`);
    assert.equal((await readFile(join(record, 'config-mode'), 'utf8')).trim(), '600');
    assert.ok(!existsSync(config), 'the config file is removed after');
    assert.ok((await readFile(join(record, 'stdin'))).equals(archive), 'the archive went to stdin, whole');
    assert.equal(result.comparison.restored.documents_restored, 5);
    assert.deepEqual(result.comparison.differences, []);
    assert.ok(result.comparison.notCompared.length > 0, 'never a silent pass');
  });

  it('behind an exec prefix: the config file is written in the container through sh, never with the password on a command line', async () => {
    await installFake();
    const wrapper = await ws.wrapper();
    const source = parseSource('mongodb', {
      url: `mongodb://backup:${PASSWORD}@mongodb:27017`,
      exec: wrapper.exec,
      restore: { url: `mongodb://admin:${PASSWORD}@mongodb:27017` },
    });
    await withFake(async () => mongodb.inPlace!.restore(source, MEMBER, Readable.from([Buffer.from('archive')]), undefined, await context()));
    const calls = await wrapper.calls();
    for (const line of calls) assert.ok(!line.includes(PASSWORD), `no password on a command line: ${line}`);
    assert.ok(
      calls.some((line) => /^the-service sh -c umask 077 && cat > "\$1" sh \/tmp\/\.restorecheck-mongorestore-mg1\.yaml$/.test(line)),
      calls.join('\n'),
    );
    assert.ok(
      calls.some((line) => line.startsWith('the-service mongorestore --uri=mongodb://admin@mongodb:27017') && line.includes('--drop')),
      calls.join('\n'),
    );
    assert.ok(calls.includes('the-service rm -f /tmp/.restorecheck-mongorestore-mg1.yaml'), calls.join('\n'));
    assert.ok(!existsSync('/tmp/.restorecheck-mongorestore-mg1.yaml'));
  });

  it('mongorestore refusing the archive is a RestoreFailedError that says the database may be partly restored', async () => {
    await installFake(1, 'Failed: corruption found in archive; bad file format');
    const source = parseSource('mongodb', { url: 'mongodb://db.internal:27017' });
    await withFake(async () =>
      assert.rejects(mongodb.inPlace!.restore(source, MEMBER, Readable.from([Buffer.from('not an archive')]), undefined, await context()), (error: unknown) => {
        assert.ok(error instanceof RestoreFailedError, String(error));
        assert.match(error.message, /partly restored/);
        return true;
      }),
    );
  });

  it('a missing mongorestore is a clear error in preflight, naming the tool and where it is', async () => {
    const empty = join(ws.dir, 'empty-bin');
    await mkdir(empty, { recursive: true });
    const source = parseSource('mongodb', { url: 'mongodb://db.internal:27017' });
    await withPath(empty, async () => {
      await assert.rejects(mongodb.inPlace!.preflight(source, await context()), (error: unknown) => {
        assert.ok(error instanceof MongoToolsMissingError, String(error));
        assert.match(error.message, /mongorestore is not installed/);
        assert.match(error.hint, /mongodb-database-tools|mongo container/);
        return true;
      });
    });
    const viaExec = parseSource('mongodb', { url: 'mongodb://db.internal:27017', exec: ['/nonexistent/docker', 'compose', 'exec', '-T', 'mongodb'] });
    await assert.rejects(mongodb.inPlace!.preflight(viaExec, await context()), (error: unknown) => {
      assert.ok(error instanceof MongoToolsMissingError, String(error));
      assert.match(error.hint, /selfHosted\.sources\.mongodb\.exec/);
      return true;
    });
  });
});
