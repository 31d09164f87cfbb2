import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package's own directory (the one holding package.json, examples/, schemas/), found by walking up from this
 * file rather than by a fixed `../..`: this code runs from src/ (tsx), from dist/ (tsc) and from dist/cli/bundle/
 * (the bundled CLI, scripts/bundle-cli.mjs), each at a different depth. The first package.json up is ours: src/ and
 * dist/ hold none.
 */
export function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; ) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
