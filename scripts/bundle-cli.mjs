// Bundles the CLI: dist/cli/main.js (package.json "bin") becomes one esbuild bundle of src/cli/main.ts, its chunks in
// dist/cli/bundle/. Run at the end of `npm run build`, after tsc, whose other files in dist/ stay as they are (the
// README's dist/cli/audit-log.js API, scripts/write-report-schema.mjs); only tsc's dist/cli/main.js is overwritten.
//
// Why: start-up. Every invocation pays for Node's ESM loader resolving, reading and compiling each module file
// one by one, and yargs, zod and yaml are hundreds of small files; `--help` and `list-checks` spent more time
// there than in our code (bench/startup.ts measures it against `node -e 0`). One file per command loads faster.
//
// Code splitting keeps commands lazy: each `import()` in src/cli/command-list.ts (and the other dynamic imports:
// the simulator, refusal-audit, ...) becomes its own chunk, loaded only when that command runs, with the code they
// share in common chunks. main.ts's own code stays in the entry file, which is what lets its "am I the binary?"
// test (import.meta.url against argv[1]) hold; the build checks it below.
//
// What is bundled: our src/ and every package it imports that is not in "dependencies": yargs, yaml and zod (BUNDLED:
// dependencies too, for tsc's dist/ files such as the README's dist/cli/audit-log.js), and the devDependencies the
// code imports, the @azure/* SDKs and tar-stream. Those are devDependencies so that a global install does not carry
// them: their packages ship four builds each (ESM, CommonJS, browser, React Native) with types and maps, 90 MB, of
// which the bundle keeps the few MB that run (README, "Install size"). Loaded only by the commands that talk to Azure
// (their own chunks). External, imported from node_modules at run time ("dependencies"): pg (optional native binding,
// requires decided at run time) and playwright-core (reads its own files and starts browsers). azurite is run as a
// separate process from its package directory (src/simulator/azurite.ts), never imported.
//
// import.meta.url inside bundled code is the URL of the chunk it ended up in (dist/cli/bundle/*.js or
// dist/cli/main.js), not of its source file, so nothing in src/ may find a file relative to its own location:
// src/version.ts gets the version from `define`, src/package-root.ts walks up to package.json, the demo command
// spawns process.argv[1]. yargs does it too (its locales, y18n); see yargsShimPlugin.
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const BUNDLED = ['yargs', 'yaml', 'zod'];
const external = Object.keys(pkg.dependencies)
  .filter((name) => !BUNDLED.includes(name))
  .flatMap((name) => [name, `${name}/*`]);

// yargs' Node shim locates itself with import.meta.url: its locale files (`../../../locales`, read by y18n, which
// silently falls back to English when they are missing: a French user would lose the French help) and the
// project's package.json (yargs' `pkgUp`, from the directory above node_modules). Bundled, that URL would be a
// chunk's, so the shim is given the URL of its own file in node_modules/yargs (a dependency, so installed with us),
// resolved at run time: yargs then behaves exactly as unbundled.
const YARGS_SHIM = /[\\/]node_modules[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/;
const yargsShimPlugin = {
  name: 'yargs-shim-location',
  setup(esbuild) {
    esbuild.onLoad({ filter: YARGS_SHIM }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const uses = source.split('import.meta.url').length - 1;
      if (uses === 0) throw new Error(`${args.path}: no import.meta.url any more; review yargsShimPlugin`);
      const ownUrl = [
        "import { createRequire as __rcCreateRequire } from 'node:module';",
        "import { pathToFileURL as __rcPathToFileURL } from 'node:url';",
        'const __rcYargsShimUrl = __rcPathToFileURL(',
        "  __rcCreateRequire(import.meta.url).resolve('yargs/package.json').replace(/package\\.json$/, 'lib/platform-shims/esm.mjs'),",
        ').href;',
      ].join('\n');
      return { contents: `${ownUrl}\n${source.replaceAll('import.meta.url', '__rcYargsShimUrl')}`, loader: 'js' };
    });
  },
};

// zod 4 re-exports every one of its ~60 message locales (`z.locales.fr`, ...) from its classic and core entry points,
// half of its size: 340 kB that validate-config would compile for nothing. Its messages are English unless a
// program calls `z.config(z.locales.xx())`, which ours never does (nothing in src/ names `locales`), so the bundle's
// `locales` namespace holds English alone. zod's own default (`config(en())` in classic/external.js) is untouched.
// Should zod move these files, the plugin no longer matches and the bundle is just larger, not wrong.
const ZOD_LOCALES = /[\\/]node_modules[\\/]zod[\\/]v4[\\/](classic|core)$/;
const zodLocalesPlugin = {
  name: 'zod-english-only',
  setup(esbuild) {
    esbuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      ZOD_LOCALES.test(args.resolveDir) ? { path: 'zod-locales', namespace: 'zod-locales', pluginData: args.resolveDir } : undefined,
    );
    esbuild.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from '../locales/en.js';",
      resolveDir: args.pluginData,
      loader: 'js',
    }));
  },
};

// Chunks are named anew by content hash on every build: remove the previous build's.
rmSync(new URL('../dist/cli/bundle', import.meta.url), { recursive: true, force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  entryNames: '[name]',
  chunkNames: 'bundle/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [yargsShimPlugin, zodLocalesPlugin],
  define: { __RESTORECHECK_VERSION__: JSON.stringify(pkg.version) },
  // yaml (and a few of yargs' helpers) are CommonJS: esbuild's wrapper for them calls `require` for Node's
  // built-ins, which an ES module does not have; each output file gets one. The shebang of main.ts is kept
  // first in the entry by esbuild.
  banner: { js: "import { createRequire as __rcRequire } from 'node:module'; const require = __rcRequire(import.meta.url);" },
  // Linked maps without the sources (as tsc's): `node --enable-source-maps` (or RESTORECHECK_DEBUG=1, see main.ts)
  // turns a stack trace's bundle lines back into src/ lines.
  sourcemap: 'linked',
  sourcesContent: false,
  // Not minified: a stack trace without source maps must still name the functions, and the entry stays readable.
  minify: false,
  metafile: true,
  logLevel: 'warning',
});

const entry = result.metafile.outputs['dist/cli/main.js'];
if (!entry?.inputs['src/cli/main.ts']) throw new Error('src/cli/main.ts is not in the entry dist/cli/main.js: its binary test would fail');
// zodLocalesPlugin's premise: our code never picks a zod locale.
const pickingLocale = Object.keys(result.metafile.inputs).filter(
  (input) => input.startsWith('src/') && /\blocales\b/.test(readFileSync(join(root, input), 'utf8')),
);
if (pickingLocale.length > 0) throw new Error(`${pickingLocale.join(', ')} name zod's locales, which the bundle leaves out (zodLocalesPlugin)`);
if (!readFileSync(new URL('../dist/cli/main.js', import.meta.url), 'utf8').startsWith('#!/usr/bin/env node\n')) {
  throw new Error('dist/cli/main.js lost its shebang');
}
// esbuild writes a new file: give the binary its executable bit back (scripts/post-build.mjs does it for tsc's).
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
