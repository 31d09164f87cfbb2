import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildGraph, parseRevisionScript, readRevisionGraph, singleHead } from '../../src/alembic/revision-graph.js';
import { EvaluationError } from '../../src/errors.js';
import { createAlembicProject } from '../helpers/alembic.js';

describe('parseRevisionScript', () => {
  it('reads plain assignments as alembic writes them', () => {
    const rev = parseRevisionScript(
      `"""msg\n\nRevision ID: a1\n"""\nrevision = 'a1'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n`,
      'a1.py',
    );
    assert.deepEqual(rev, { revision: 'a1', downRevisions: [], branchLabels: [], dependsOn: [], file: 'a1.py' });
  });

  it('reads annotated assignments, tuples across lines, lists and labels', () => {
    const text = [
      'revision: str = "m1"',
      'down_revision: Union[str, Sequence[str], None] = (',
      "    'a2',  # main line",
      '    "b1",',
      ')',
      "branch_labels: Union[str, Sequence[str], None] = ('audit',)",
      "depends_on = ['x9']",
    ].join('\n');
    const rev = parseRevisionScript(text, 'm1.py');
    assert.deepEqual(rev.downRevisions, ['a2', 'b1']);
    assert.deepEqual(rev.branchLabels, ['audit']);
    assert.deepEqual(rev.dependsOn, ['x9']);
  });

  it('names the file when a script cannot be parsed', () => {
    assert.throws(
      () => parseRevisionScript('revision = make_id()\ndown_revision = None\n', 'broken.py'),
      (e: unknown) => e instanceof EvaluationError && /broken\.py/.test(e.message),
    );
    assert.throws(() => parseRevisionScript('down_revision = None\n', 'norev.py'), /norev\.py: no `revision/);
    assert.throws(() => parseRevisionScript("revision = 'a'\n", 'nodown.py'), /nodown\.py: no `down_revision/);
  });

  it('reports several heads by name, and a dangling down_revision', () => {
    const graph = buildGraph([
      { revision: 'a', downRevisions: [], branchLabels: [], dependsOn: [], file: 'a.py' },
      { revision: 'b', downRevisions: ['a'], branchLabels: [], dependsOn: [], file: 'b.py' },
      { revision: 'c', downRevisions: ['a'], branchLabels: [], dependsOn: ['b'], file: 'c.py' },
    ]);
    assert.deepEqual(graph.heads, ['b', 'c']);
    assert.throws(() => singleHead(graph), /2 heads \(b, c\)/);
    assert.throws(() => buildGraph([{ revision: 'z', downRevisions: ['nope'], branchLabels: [], dependsOn: [], file: 'z.py' }]), /names down_revision nope/);
  });
});

describe('revision graph against the real Alembic', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restorecheck-alembic-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the same heads as `alembic heads` through branches, labels, depends_on and a merge', async () => {
    // The URL is never used: `alembic revision`/`heads` work offline.
    const project = await createAlembicProject(dir, 'postgresql+psycopg2://u:p@127.0.0.1:1/none');
    await project.revision('a1000001', 'create patients');
    await project.revision('a1000002', 'create documents');
    await project.revision('b1000001', 'audit branch', { head: 'base', branchLabel: 'audit' });
    // Two heads now: both tools must say so.
    let ours = await readRevisionGraph(project.versionsDir);
    assert.deepEqual(ours.heads, await project.heads());
    assert.deepEqual(ours.heads, ['a1000002', 'b1000001']);
    assert.throws(() => singleHead(ours), /a1000002, b1000001/);

    await project.alembic('merge', '-m', 'merge', '--rev-id', 'd1000001', 'heads');
    ours = await readRevisionGraph(project.versionsDir);
    assert.deepEqual(ours.heads, await project.heads());
    assert.equal(singleHead(ours), 'd1000001');

    // depends_on names another revision without making it stop being a head, exactly as in alembic.
    await project.revision('e1000001', 'reporting branch', { head: 'base', branchLabel: 'reporting' });
    await project.revision('f1000001', 'needs reporting', { head: 'd1000001', dependsOn: 'e1000001' });
    ours = await readRevisionGraph(project.versionsDir);
    assert.deepEqual(ours.heads, await project.heads());
    assert.deepEqual(ours.heads, ['e1000001', 'f1000001']);

    // A junk script beside them makes the directory unreadable, naming the file.
    await writeFile(join(project.versionsDir, 'zz_broken.py'), 'revision = compute()\ndown_revision = None\n');
    await assert.rejects(readRevisionGraph(project.versionsDir), /zz_broken\.py/);
  });
});

describe('Alembic as real projects write it (issue 10 item 9)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'restorecheck-alembic-real-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('tolerates any expression in depends_on and branch_labels, comments with apostrophes, annotations and double quotes', async () => {
    const project = await createAlembicProject(dir, 'postgresql+psycopg2://u:p@127.0.0.1:1/none');
    const w = (name: string, body: string) => writeFile(join(project.versionsDir, name), `"""${name}"""\nfrom typing import Sequence, Union\n${body}\n`);
    await w('a1_base.py', "revision = 'a1'  # don't squash\ndown_revision = None  # it's the base\nbranch_labels = None\ndepends_on = None\n");
    await w(
      'b2_next.py',
      'revision: str = "b2"\ndown_revision: Union[str, None] = "a1"  # what\'s next\nbranch_labels: Union[str, Sequence[str], None] = None\n' +
        'resolved_depends_on = None\ndepends_on = resolved_depends_on\n',
    );
    await w(
      'c3_side.py',
      "revision: str = 'c3'\ndown_revision: Union[str, None] = 'a1'\nbranch_labels = tuple(['side'])  # computed\ndepends_on = ('a1', 'b2')\n",
    );
    await w(
      'd4_merge.py',
      "revision = 'd4'\ndown_revision = (  # it's a merge\n    'b2',  # don't drop\n    \"c3\",\n)\nbranch_labels = None\ndef compute_deps(x):\n    return None\ndepends_on = compute_deps('x')\n",
    );
    const ours = await readRevisionGraph(project.versionsDir);
    assert.deepEqual(ours.heads, await project.heads());
    assert.deepEqual(ours.heads, ['d4']);
  });

  it('ignores scripts in a subfolder of versions/, as Alembic does without recursive_version_locations', async () => {
    const sub = join(dir, 'sub');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(sub);
    const project = await createAlembicProject(sub, 'postgresql+psycopg2://u:p@127.0.0.1:1/none');
    await project.revision('a1000001', 'base');
    await mkdir(join(project.versionsDir, 'archive'));
    await writeFile(join(project.versionsDir, 'archive', 'z9_old.py'), "revision = 'z9'\ndown_revision = 'a1000001'\n");
    const ours = await readRevisionGraph(project.versionsDir);
    assert.deepEqual(ours.heads, await project.heads());
    assert.deepEqual(ours.heads, ['a1000001']);
    // recursive_version_locations = true in the alembic.ini beside script_location makes the subfolder count
    // (Alembic >= 1.10; the installed Alembic may predate it, so this half is checked against the documented rule).
    const ini = join(sub, 'alembic.ini');
    const { readFile } = await import('node:fs/promises');
    await writeFile(ini, (await readFile(ini, 'utf8')).replace('[alembic]\n', '[alembic]\nrecursive_version_locations = true\n'));
    assert.deepEqual((await readRevisionGraph(project.versionsDir)).heads, ['z9']);
    // The explicit option wins over the ini.
    assert.deepEqual((await readRevisionGraph(project.versionsDir, { recursive: false })).heads, ['a1000001']);
  });
});
