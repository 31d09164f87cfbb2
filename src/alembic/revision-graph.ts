/**
 * The Alembic revision graph, read from a migrations directory without running Python.
 *
 * Written by hand because no JavaScript library reads Alembic scripts. We parse only the four
 * module-level assignments Alembic itself reads (`revision`, `down_revision`, `branch_labels`,
 * `depends_on`), as Python literals: a string, None, or a tuple/list of strings, with or without
 * a type annotation (`revision: str = "…"`, `down_revision: Union[str, Sequence[str], None] = (…)`).
 *
 * Only `revision` and `down_revision` decide the heads, so only they must be literals; `branch_labels` and
 * `depends_on` may be any expression (real projects compute them) and are then recorded as unknown ([]).
 *
 * Like Alembic, only the scripts directly in the versions folder count, unless `recursive_version_locations`
 * is true (Alembic >= 1.10) in the alembic.ini found beside the folder or above it, or the caller says so.
 *
 * Heads follow Alembic's own rule (alembic/script/revision.py, `RevisionMap._revision_map`): a head
 * is a revision that no other revision names in its down_revision. `depends_on` does not make a
 * revision stop being a head, exactly as in `alembic heads`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { EvaluationError } from '../errors.js';

export interface AlembicRevision {
  revision: string;
  downRevisions: string[];
  branchLabels: string[];
  dependsOn: string[];
  /** Path relative to the migrations directory. */
  file: string;
}

export interface RevisionGraph {
  revisions: AlembicRevision[];
  /** Sorted. */
  heads: string[];
}

const FIELDS = ['revision', 'down_revision', 'branch_labels', 'depends_on'] as const;
type Field = (typeof FIELDS)[number];

export interface ReadOptions {
  /** Descend into subfolders (Alembic's recursive_version_locations). Unset: read from alembic.ini, default false. */
  recursive?: boolean;
}

/** Reads the migration scripts in `dir`, and below it when recursive. */
export async function readRevisionGraph(dir: string, options: ReadOptions = {}): Promise<RevisionGraph> {
  let files: string[];
  try {
    const recursive = options.recursive ?? (await recursiveFromIni(dir));
    files = await listScripts(dir, recursive);
  } catch (error) {
    throw new EvaluationError(
      'config',
      `cannot read the Alembic migrations directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      'set database.alembic.migrationsDir to the folder holding the migration scripts (relative paths are resolved from the configuration file)',
    );
  }
  const revisions: AlembicRevision[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    revisions.push(parseRevisionScript(text, relative(dir, file)));
  }
  return buildGraph(revisions, dir);
}

export function buildGraph(revisions: AlembicRevision[], dir = 'the migrations directory'): RevisionGraph {
  if (revisions.length === 0) {
    throw new EvaluationError('config', `no Alembic migration script found in ${dir}`, 'point database.alembic.migrationsDir at the versions/ folder');
  }
  const byId = new Map<string, AlembicRevision>();
  for (const rev of revisions) {
    const other = byId.get(rev.revision);
    if (other) {
      throw new EvaluationError(
        'config',
        `Alembic revision ${rev.revision} is declared twice (${other.file} and ${rev.file})`,
        'remove or renumber the duplicated migration script',
      );
    }
    byId.set(rev.revision, rev);
  }
  const referenced = new Set<string>();
  for (const rev of revisions) {
    for (const down of rev.downRevisions) {
      if (!byId.has(down)) {
        throw new EvaluationError(
          'config',
          `Alembic revision ${rev.revision} (${rev.file}) names down_revision ${down}, which no script declares`,
          'restore the missing migration script or fix down_revision',
        );
      }
      referenced.add(down);
    }
  }
  const heads = revisions
    .map((r) => r.revision)
    .filter((id) => !referenced.has(id))
    .sort();
  return { revisions, heads };
}

/** The single head, or an error naming every head when the scripts have unmerged branches. */
export function singleHead(graph: RevisionGraph): string {
  if (graph.heads.length === 1) return graph.heads[0]!;
  throw new EvaluationError(
    'config',
    `the Alembic scripts have ${graph.heads.length} heads (${graph.heads.join(', ')}), so there is no single expected revision`,
    'merge the branches (`alembic merge heads`) or set database.alembic.expectedHead explicitly',
  );
}

/**
 * alembic.ini sits in the project root, above script_location (which holds versions/): look in the folder's
 * parent and grandparent. A missing ini means Alembic's default, false.
 */
async function recursiveFromIni(dir: string): Promise<boolean> {
  for (const candidate of [join(dirname(dir), 'alembic.ini'), join(dirname(dirname(dir)), 'alembic.ini'), join(dir, 'alembic.ini')]) {
    let text: string;
    try {
      text = await readFile(candidate, 'utf8');
    } catch {
      continue;
    }
    const value = iniValue(text, 'alembic', 'recursive_version_locations');
    // Alembic reads the option with util.asbool (sqlalchemy's): true/yes/on/y/t/1, case-insensitive.
    return value !== undefined && /^(true|yes|on|y|t|1)$/i.test(value.trim());
  }
  return false;
}

/** A small ini read: `key = value` or `key: value` in `[section]`, ignoring `#`/`;` comment lines. */
export function iniValue(text: string, section: string, key: string): string | undefined {
  let current = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = header[1]!.trim();
      continue;
    }
    if (current !== section || /^\s/.test(raw)) continue;
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (kv && kv[1]!.toLowerCase() === key) return kv[2]!;
  }
  return undefined;
}

async function listScripts(dir: string, recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!recursive || entry.name === '__pycache__' || entry.name.startsWith('.')) continue;
      out.push(...(await listScripts(path, recursive)));
    } else if (entry.isFile() && entry.name.endsWith('.py') && entry.name !== '__init__.py' && !entry.name.startsWith('.#')) {
      out.push(path);
    }
  }
  return out;
}

/** Parses one migration script. Throws EvaluationError naming the file when it cannot. */
export function parseRevisionScript(text: string, file: string): AlembicRevision {
  const values = new Map<Field, string[] | null>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const match = /^(revision|down_revision|branch_labels|depends_on)\s*(?::[^=]*)?=\s*(.*)$/.exec(lines[i]!);
    if (!match) continue;
    const field = match[1] as Field;
    // A tuple may span several lines: gather until the brackets balance.
    let expr = match[2]!;
    while (unbalanced(expr) && i + 1 < lines.length) expr += `\n${lines[++i]!}`;
    try {
      values.set(field, parsePythonLiteral(expr));
    } catch (error) {
      // depends_on and branch_labels play no part in the heads: any expression is fine there.
      if (field === 'branch_labels' || field === 'depends_on') {
        values.set(field, null);
        continue;
      }
      throw unparseable(file, `${field}: ${(error as Error).message}`);
    }
  }
  const revision = values.get('revision');
  if (revision?.length !== 1) throw unparseable(file, 'no `revision = "…"` assignment');
  if (!values.has('down_revision')) throw unparseable(file, 'no `down_revision = …` assignment');
  return {
    revision: revision[0]!,
    downRevisions: values.get('down_revision') ?? [],
    branchLabels: values.get('branch_labels') ?? [],
    dependsOn: values.get('depends_on') ?? [],
    file,
  };
}

function unparseable(file: string, why: string): EvaluationError {
  return new EvaluationError(
    'config',
    `cannot parse Alembic migration script ${file}: ${why}`,
    'make the script declare revision and down_revision as plain string literals, as `alembic revision` writes them',
  );
}

/**
 * Removes `#` comments outside string literals, line by line: a comment may hold a quote (`# don't squash`),
 * and a string may hold a `#`. An unterminated string on a line is left as is, for the parser to refuse.
 */
export function stripComments(expr: string): string {
  return expr
    .split('\n')
    .map((line) => {
      let quote: string | undefined;
      for (let i = 0; i < line.length; i++) {
        const ch = line[i]!;
        if (quote) {
          if (ch === '\\') i++;
          else if (ch === quote) quote = undefined;
        } else if (ch === "'" || ch === '"') quote = ch;
        else if (ch === '#') return line.slice(0, i);
      }
      return line;
    })
    .join('\n');
}

function unbalanced(expr: string): boolean {
  const code = stripComments(expr).replace(/'[^'\n]*'|"[^"\n]*"/g, '');
  return (code.match(/[([]/g)?.length ?? 0) > (code.match(/[)\]]/g)?.length ?? 0);
}

/** None | 'x' | "x" | ('a', 'b') | ['a'] | ('a',) → string list, or null for None. */
function parsePythonLiteral(expr: string): string[] | null {
  const source = stripComments(expr).trim();
  if (source === 'None') return null;
  let rest = source;
  const take = (pattern: RegExp): RegExpExecArray | null => {
    const m = pattern.exec(rest);
    if (m) rest = rest.slice(m[0].length);
    return m;
  };
  const string = (): string | undefined => {
    const m = take(/^\s*[rRuU]?(?:'([^'\\\n]*)'|"([^"\\\n]*)")\s*/);
    return m ? (m[1] ?? m[2]) : undefined;
  };
  const single = string();
  if (single !== undefined) {
    if (rest.trim() !== '') throw new Error(`unexpected text after the string: ${rest.trim().slice(0, 40)}`);
    return [single];
  }
  const open = take(/^\s*([([])\s*/);
  if (!open) throw new Error(`expected None, a string or a tuple of strings, found: ${source.slice(0, 40)}`);
  const close = open[1] === '(' ? ')' : ']';
  const items: string[] = [];
  for (;;) {
    if (take(new RegExp(`^\\s*\\${close}\\s*$`))) return items;
    const item = string();
    if (item === undefined) throw new Error(`expected a string inside the ${open[1] === '(' ? 'tuple' : 'list'}, found: ${rest.trim().slice(0, 40)}`);
    items.push(item);
    if (take(/^\s*,\s*/)) continue;
    if (take(new RegExp(`^\\s*\\${close}\\s*$`))) return items;
    throw new Error(`expected "," or "${close}", found: ${rest.trim().slice(0, 40)}`);
  }
}
