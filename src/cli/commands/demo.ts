/**
 * `restorecheck demo`: the whole monthly check against the built-in local sandbox — no account, no
 * external service. The real binary runs against it as a child process, exactly as a scheduled job
 * would (the simulator's CA can only be trusted through NODE_EXTRA_CA_CERTS, read at process start).
 */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { type CommandContext, defineCommand } from '../command.js';

// The binary that is running this command (`node <binary> demo`, or the npm bin link to it), not a path relative to
// this file: in the bundled CLI this code sits in a chunk under dist/cli/bundle/, in tsc's output next to commands/.
const BIN = process.argv[1] ?? '';

/** Runs restorecheck in a child process with the sandbox's environment; its output is ours. */
function runChild(args: string[], env: Record<string, string>, ctx: CommandContext): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const passthrough = Object.fromEntries(
      ['PATH', 'HOME', 'TERM', 'NO_COLOR', 'CI', 'LANG', 'GITHUB_STEP_SUMMARY'].flatMap((k) => {
        const value = process.env[k];
        return value ? [[k, value]] : [];
      }),
    );
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...passthrough, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => ctx.output.out(d.toString()));
    child.stderr.on('data', (d: Buffer) => ctx.output.errRaw(d.toString()));
    const onAbort = () => child.kill('SIGINT'); // the child cleans up what it created, then exits
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', reject);
    child.on('close', (code) => {
      ctx.signal.removeEventListener('abort', onAbort);
      resolvePromise(code ?? 2);
    });
  });
}

/** A failure anywhere is 1; else anything not evaluated is 2; else 0 (the contract's order). */
export function combinedExitCode(codes: number[]): number {
  if (codes.includes(1)) return 1;
  return codes.some((c) => c !== 0) ? 2 : 0;
}

export const demoCommand = defineCommand({
  builder: (yargs) =>
    yargs
      .option('scenario', {
        type: 'string',
        choices: ['healthy', 'unhealthy'],
        default: 'healthy',
        describe: 'healthy: everything compliant; unhealthy: old backups, soft delete and versioning off, data outside the EEA',
      })
      .option('out-dir', { type: 'string', default: 'reports', describe: 'where the reports are written', requiresArg: true }),
  async run(argv, ctx) {
    const { output, signal } = ctx;
    const started = performance.now();
    const reportDir = resolve(argv['out-dir']);
    const scenario = argv.scenario === 'unhealthy' ? 'unhealthy' : 'healthy'; // yargs allows only these two (choices)
    output.err(`restorecheck demo (${scenario} scenario): a clinic database, its documents and its Azure resources, all on this machine.`);
    // Loaded here: the sandbox brings the Azure blob SDK, which no other command should pay for at start-up, and production
    // code never imports the simulator statically (scripts/check-imports.mjs).
    const { startSandbox } = await import('../../simulator/sandbox.js');
    const sandbox = await startSandbox({ scenario, reportDir, log: (m) => output.err(m) });
    let code = 2;
    try {
      // The restore test first: the check then finds it on record (restore-test-freshness).
      const codes: number[] = [];
      for (const command of ['restore-test', 'check']) {
        if (signal.aborted) break;
        output.err(`\n$ restorecheck ${command} --config ${sandbox.configPath}\n`);
        codes.push(await runChild([command, '--config', sandbox.configPath], sandbox.env, ctx));
      }
      code = combinedExitCode(codes);
    } finally {
      output.err('stopping the sandbox…');
      await sandbox.stop();
    }
    const files = (await readdir(reportDir).catch((): string[] => [])).sort();
    const html = files.filter((f) => f.endsWith('-check.html')).at(-1) ?? files.filter((f) => f.endsWith('.html')).at(-1);
    output.err(`\nDone in ${((performance.now() - started) / 1000).toFixed(1)} s. Reports in ${relative(process.cwd(), reportDir) || '.'}/:`);
    if (html) output.err(`  open first: ${join(relative(process.cwd(), reportDir) || '.', html)} (the auditor's view, readable offline)`);
    output.err('  *.md: the monthly checklist · *.xml: JUnit for CI · *.json: the record · audit.log.jsonl: the hash-chained log');
    output.err(`  verify the chain: npx restorecheck report verify ${relative(process.cwd(), reportDir) || '.'}`);
    output.exitCode = signal.aborted ? 2 : code;
  },
});
