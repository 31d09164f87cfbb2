import { readFileSync } from 'node:fs';

/** Written in by the bundled CLI's build (scripts/bundle-cli.mjs, esbuild `define`); not defined under tsc or tsx. */
declare const __RESTORECHECK_VERSION__: string | undefined;

/**
 * The package version. The bundled CLI has it written in: its code runs from chunks in dist/cli/bundle/, where
 * `../package.json` is not the package's. Elsewhere (tsc's dist/, tsx runs of src/) it is read from package.json,
 * one directory above both src/ and dist/.
 */
export const TOOL_VERSION: string =
  typeof __RESTORECHECK_VERSION__ === 'string'
    ? __RESTORECHECK_VERSION__
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
