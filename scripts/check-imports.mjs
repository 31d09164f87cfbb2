#!/usr/bin/env node
// The house rules on imports (docs/architecture.md, "One-way imports"), checked on every test run:
// - no import circle anywhere in src/ (static imports and `import type` alike: a type cycle is still a tangle);
// - production code never imports src/simulator/ (the simulator may use production code, never the reverse);
// - src/run/ never imports src/report/ (reporters render a RunResult; the run never reads reports);
// - src/vocabulary.ts imports nothing of ours (it is the ground floor every other module stands on).
// Dynamic `import()` is allowed across the simulator rule: that is how the CLI's `demo` and `simulator`
// commands load it only when they run. Written by hand (40 lines) rather than adding madge or
// dependency-cruiser: those pull in a TypeScript parser stack for what a regular expression does here.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// `--root DIR` checks another tree (the script's own test gives it one with a circle).
const rootIndex = process.argv.indexOf('--root');
const root = rootIndex > 0 ? resolve(process.argv[rootIndex + 1]) : resolve(dirname(new URL(import.meta.url).pathname), '..', 'src');
const files = (function walk(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
    });
})(root);

const rel = (path) => relative(root, path);
// Static imports and re-exports: `import … from './x.js'`, `export … from './x.js'`, `import './x.js'`.
const STATIC = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm;
const edges = new Map();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const targets = [];
  for (const m of text.matchAll(STATIC)) targets.push(resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  edges.set(
    file,
    targets.filter((t) => edges.has(t) || files.includes(t)),
  );
}

const problems = [];
for (const [from, targets] of edges) {
  for (const to of targets) {
    const a = rel(from);
    const b = rel(to);
    if (!a.startsWith('simulator/') && b.startsWith('simulator/')) problems.push(`production code imports the simulator: ${a} → ${b}`);
    if (a.startsWith('run/') && b.startsWith('report/')) problems.push(`run/ imports report/: ${a} → ${b}`);
    if (a === 'vocabulary.ts') problems.push(`vocabulary.ts must import nothing of ours: it imports ${b}`);
  }
}

// Tarjan's strongly connected components: every component of more than one file is an import circle.
let index = 0;
const stack = [];
const info = new Map();
const cycles = [];
function visit(v) {
  info.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of edges.get(v) ?? []) {
    if (!info.has(w)) {
      visit(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).onStack) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
  }
  if (info.get(v).low === info.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).onStack = false;
      component.push(rel(w));
    } while (w !== v);
    if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component.sort());
  }
}
for (const file of files) if (!info.has(file)) visit(file);
for (const cycle of cycles) problems.push(`import circle of ${cycle.length} files: ${cycle.join(', ')}`);

if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} problem(s) in src/ (docs/architecture.md, "One-way imports"):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.error(`check-imports: ${files.length} files, no import circle, no arrow into simulator/ or from run/ into report/`);
