/**
 * Builds a YAML document from plain data and hangs comments on its nodes, so that the files `init`
 * writes are generated from the same objects the tests and validators look at, never from a
 * hand-written template that could drift from them. (The `yaml` package keeps comments on nodes.)
 */
import { Document, isMap, isNode, isScalar, isSeq, type Node, type Pair, Scalar } from 'yaml';

export type YamlPath = readonly (string | number)[];

export class CommentedYaml {
  readonly doc: Document;

  constructor(data: unknown, header: string[]) {
    // No anchors and aliases for repeated objects (the login inputs used twice): Azure DevOps rejects them, and they are harder to read.
    this.doc = new Document(data, { aliasDuplicateObjects: false });
    this.doc.commentBefore = header.map((line) => ` ${line}`).join('\n');
    // A blank line between top-level sections, as a person would write it.
    const top = this.doc.contents;
    if (isMap(top)) {
      for (const pair of top.items.slice(1)) this.keyNode(pair).spaceBefore = true;
    }
  }

  /**
   * Comment lines above the entry at `path` (a map key, or a sequence item). Each line becomes
   * `# line`; an empty string gives a bare `#` line.
   */
  above(path: YamlPath, ...lines: string[]): this {
    const node = this.entry(path);
    node.commentBefore = lines.map((line) => (line ? ` ${line}` : '')).join('\n');
    return this;
  }

  /** A comment at the end of the line of the scalar value at `path`. */
  after(path: YamlPath, text: string): this {
    const node = this.doc.getIn(path, true);
    if (!isScalar(node)) throw new Error(`commented-yaml: ${path.join('.')} is not a scalar value`);
    node.comment = ` ${text}`;
    return this;
  }

  /** Quotes the scalar at `path` with single quotes (a cron line reads better quoted, as GitHub's docs write it). */
  quoted(path: YamlPath): this {
    const node = this.doc.getIn(path, true);
    if (!isScalar(node)) throw new Error(`commented-yaml: ${path.join('.')} is not a scalar value`);
    node.type = Scalar.QUOTE_SINGLE;
    return this;
  }

  toString(): string {
    // lineWidth 0: never fold long lines (a shell command folded by the emitter is hard to read).
    return this.doc.toString({ lineWidth: 0 });
  }

  /** The node a comment above `path` belongs on: the key of a map entry, or a sequence item itself. */
  private entry(path: YamlPath): Node {
    const parentPath = path.slice(0, -1);
    const last = path.at(-1);
    const parent = parentPath.length === 0 ? this.doc.contents : this.doc.getIn(parentPath, true);
    if (isSeq(parent) && typeof last === 'number') {
      const item: unknown = parent.items[last];
      if (isNode(item)) return item;
    }
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === last);
      if (pair) return this.keyNode(pair);
    }
    throw new Error(`commented-yaml: no entry at ${path.join('.')}`);
  }

  /** A map entry's key as a node (plain keys are wrapped), where comments and spacing above it live. */
  private keyNode(pair: Pair): Scalar {
    if (!isScalar(pair.key)) pair.key = new Scalar(pair.key);
    return pair.key as Scalar;
  }
}
