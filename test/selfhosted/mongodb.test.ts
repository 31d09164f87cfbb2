/**
 * The MongoDB component. mongodump is not packaged by Debian and cannot be downloaded here, so its dump was never run
 * against a real mongod on this machine (said in src/selfhosted/mongodb.ts); nothing fakes mongodump's output. What is
 * tested: the command line (no password on it) and the missing tool, which names where mongodump is.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MongoToolsMissingError, mongodb, mongodumpArgs, splitMongoUrl } from '../../src/selfhosted/mongodb.js';
import { ToolMissingError } from '../../src/selfhosted/tool-process.js';
import { type Workspace, parseSource, withPath, workspace } from '../helpers/component-harness.js';

const PLANTED = 'Planted-Secret-m0ng0%2F';

let ws: Workspace;
before(async () => {
  ws = await workspace('mongodb-test');
});
after(async () => {
  await ws?.remove();
});

describe('selfhosted mongodb', () => {
  it('builds the mongodump command line without the password', () => {
    const source = parseSource('mongodb', { url: `mongodb://backup:${PLANTED}@mongo.internal:27017/medicapp?authSource=admin` });
    const args = mongodumpArgs(source, '/spool/.mongodump-config.yaml');
    assert.deepEqual(args, [
      '--uri=mongodb://backup@mongo.internal:27017/medicapp?authSource=admin',
      '--archive',
      '--gzip',
      '--config=/spool/.mongodump-config.yaml',
    ]);
    for (const arg of args) assert.ok(!arg.includes('Planted'), arg);
    assert.equal(splitMongoUrl(source.url).password, 'Planted-Secret-m0ng0/', 'percent-decoded for the config file');
    assert.deepEqual(mongodumpArgs(parseSource('mongodb', { url: 'mongodb+srv://cluster0.example.net/' })), [
      '--uri=mongodb+srv://cluster0.example.net/',
      '--archive',
      '--gzip',
    ]);
    assert.doesNotMatch(mongodb.describe(source), /Planted/);
  });

  it('without mongodump: an error saying Debian has no MongoDB Database Tools and pointing to exec in the mongo container', async () => {
    const empty = join(ws.dir, 'empty-bin');
    await mkdir(empty, { recursive: true });
    const source = parseSource('mongodb', { url: `mongodb://backup:${PLANTED}@127.0.0.1:27017` });
    await withPath(empty, async () => {
      await assert.rejects(mongodb.toolVersion(source, AbortSignal.timeout(10_000)), (error: unknown) => {
        assert.ok(error instanceof MongoToolsMissingError && error instanceof ToolMissingError, String(error));
        assert.match(error.message, /mongodump is not installed/);
        assert.match(error.hint, /not packaged by Debian/);
        assert.match(error.hint, /exec: \[docker, compose, exec, -T, mongodb\]/);
        return true;
      });
      // backup checks the tool before writing anything: no config file holding the password is left or even made.
      const ctx = await ws.context();
      await mkdir(ctx.spoolDir, { recursive: true });
      await assert.rejects(mongodb.backup(source, ctx), MongoToolsMissingError);
      assert.deepEqual(await readdir(ctx.spoolDir), []);
    });

    const viaExec = parseSource('mongodb', { url: 'mongodb://127.0.0.1:27017', exec: ['/nonexistent/docker', 'compose', 'exec', '-T', 'mongodb'] });
    await assert.rejects(mongodb.toolVersion(viaExec, AbortSignal.timeout(10_000)), (error: unknown) => {
      assert.ok(error instanceof MongoToolsMissingError, String(error));
      assert.match(error.message, /could not be run through \/nonexistent\/docker/);
      assert.match(error.hint, /selfHosted\.sources\.mongodb\.exec/);
      return true;
    });

    // The prefix runs, but the container has no mongodump (exit 127).
    const wrapper = await ws.wrapper();
    await withPath(empty, async () => {
      const inContainer = parseSource('mongodb', { url: 'mongodb://127.0.0.1:27017', exec: wrapper.exec });
      await assert.rejects(mongodb.toolVersion(inContainer, AbortSignal.timeout(10_000)), MongoToolsMissingError);
    });
    assert.ok((await wrapper.calls()).includes('the-service mongodump --version'));
  });
});
