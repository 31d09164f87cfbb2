#!/usr/bin/env node
// Figures about src/ that the structure notes quote (issue "The house before the next floors"): the largest
// file and function, and how many non-null assertions (`x!`) and casts (`x as T`, `<T>x`; `as const` is not a
// cast) the code holds, overall and in src/checks/ and src/cli/commands/. Read with the TypeScript compiler's
// own parser, so a `!=` or a string is never counted. Prints JSON; `--top N` lists the N largest functions.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', 'src');
const topIndex = process.argv.indexOf('--top');
const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 3;
const files = (function walk(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
    });
})(root);

const functions = [];
const fileSizes = [];
const counts = { nonNull: {}, casts: {} };
const bump = (kind, file) => {
  for (const area of ['src', file.startsWith('checks/') ? 'src/checks' : null, file.startsWith('cli/commands/') ? 'src/cli/commands' : null]) {
    if (area) counts[kind][area] = (counts[kind][area] ?? 0) + 1;
  }
};
for (const path of files) {
  const file = relative(root, path);
  const text = readFileSync(path, 'utf8');
  fileSizes.push({ file, lines: text.split('\n').length - (text.endsWith('\n') ? 1 : 0) });
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const line = (pos) => source.getLineAndCharacterOfPosition(pos).line + 1;
  (function visit(node) {
    if (ts.isNonNullExpression(node)) bump('nonNull', file);
    if (
      (ts.isAsExpression(node) || ts.isTypeAssertionExpression(node)) &&
      !(ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(source) === 'const')
    )
      bump('casts', file);
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const name =
        node.name?.getText(source) ??
        (ts.isVariableDeclaration(node.parent)
          ? node.parent.name.getText(source)
          : ts.isPropertyAssignment(node.parent)
            ? node.parent.name.getText(source)
            : '(anonymous)');
      functions.push({ name, file, from: line(node.getStart(source)), lines: line(node.getEnd()) - line(node.getStart(source)) + 1 });
    }
    ts.forEachChild(node, visit);
  })(source);
}
functions.sort((a, b) => b.lines - a.lines);
fileSizes.sort((a, b) => b.lines - a.lines);
const longLines = files.flatMap((path) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length >= 200)
    .map(() => relative(root, path)),
);
console.log(
  JSON.stringify(
    {
      files: files.length,
      largestFiles: fileSizes.slice(0, top),
      largestFunctions: functions.slice(0, top),
      nonNullAssertions: counts.nonNull,
      casts: counts.casts,
      linesOf200CharsOrMore: longLines.length,
    },
    null,
    2,
  ),
);
