/**
 * Help as a newcomer asks for it, through the built binary: `<cmd> -h`, `help <cmd>`, a bare `restorecheck`, the
 * actions' own help (`report verify`, `report render`, `report merge`, `restore-test cleanup`), init's flags as written (no
 * lower-cased names), the French help, and a reader that leaves early (`list-checks | head -1`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { BIN, runCli } from '../helpers/cli.js';

describe('help', () => {
  it('`<command> -h` is `<command> --help`', async () => {
    for (const command of ['check', 'init', 'list-checks', 'report', 'restore-test']) {
      const short = await runCli([command, '-h']);
      const long = await runCli([command, '--help']);
      assert.equal(short.code, 0, `${command} -h: ${short.stderr}`);
      assert.equal(short.stdout, long.stdout);
      assert.match(short.stdout, new RegExp(`^restorecheck ${command}`));
      assert.match(short.stdout, /-h, --help/);
    }
  });

  it('`help <command>` is `<command> --help`, and `help` alone the main help', async () => {
    const help = await runCli(['help', 'check']);
    assert.equal(help.code, 0, help.stderr);
    assert.equal(help.stdout, (await runCli(['check', '--help'])).stdout);
    const verify = await runCli(['help', 'report', 'verify']);
    assert.equal(verify.stdout, (await runCli(['report', 'verify', '--help'])).stdout);
    const main = await runCli(['help']);
    assert.equal(main.code, 0);
    assert.equal(main.stdout, (await runCli(['--help'])).stdout);
  });

  it('a bare `restorecheck` prints the help on stderr and exits 2 (no command ran)', async () => {
    const bare = await runCli([]);
    assert.equal(bare.code, 2);
    assert.equal(bare.stdout, '');
    assert.match(bare.stderr, /^restorecheck <command> \[options\]/);
    assert.match(bare.stderr, /restorecheck list-checks/);
    assert.match(bare.stderr, /error: name a command/);
  });

  it('each action has its own help: report verify, report render, report merge, restore-test cleanup', async () => {
    const verify = await runCli(['report', 'verify', '--help']);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /^restorecheck report verify <dir>\n\ncheck the hash chain/);
    const optionsOf = (help: string) => help.slice(help.indexOf('Options:'), help.indexOf('Examples:') === -1 ? undefined : help.indexOf('Examples:'));
    assert.doesNotMatch(optionsOf(verify.stdout), /--format/, "render's option is not verify's");
    const render = await runCli(['report', 'render', '-h']);
    assert.match(render.stdout, /^restorecheck report render <file\.json> --format FMT\n/);
    assert.match(render.stdout, /--format/);
    const merge = await runCli(['report', 'merge', '--help']);
    assert.equal(merge.code, 0, merge.stderr);
    assert.match(merge.stdout, /^restorecheck report merge <dir\.\.> \[--config FILE\] \[--out-dir DIR\] \[--format FMT\]\.\.\.\n\njoin the shard reports/);
    assert.match(optionsOf(merge.stdout), /^ +--out-dir /m);
    assert.doesNotMatch(optionsOf(render.stdout), /^ +(-c, )?--(out-dir|config) /m, "merge's options are not render's");
    const cleanup = await runCli(['restore-test', 'cleanup', '--help']);
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.match(cleanup.stdout, /^restorecheck restore-test cleanup --config FILE\n\ndelete leftover restore servers/);
    assert.match(cleanup.stdout, /--local/);
    for (const option of ['--archive', '--point-in-time', '--keep', '--timeout', '--out-dir'])
      assert.doesNotMatch(optionsOf(cleanup.stdout), new RegExp(option));
    // The command's own help is unchanged: every option.
    const restore = await runCli(['restore-test', '--help']);
    for (const option of ['--archive', '--local', '--timeout']) assert.match(restore.stdout, new RegExp(option));
  });

  it("init --help keeps names and acronyms as written (Azure, CI, Flexible Server), and other words' case", async () => {
    const help = (await runCli(['init', '--help'])).stdout;
    assert.match(help, /--subscription-id +Azure subscription id/);
    assert.match(help, /--server +Flexible Server name/);
    assert.match(help, /--ci +CI workflow to write/);
    assert.match(help, /--resource-group +resource group of the PostgreSQL Flexible Server/);
    assert.match(help, /--container +blob container of the signed documents \(optional\)/);
    assert.match(help, /--install-from +where CI installs restorecheck from/);
    assert.doesNotMatch(help, /azure subscription|flexible Server|cI workflow|empty: leave out/);
  });

  it('the French help still comes through yargs (LANG=fr_FR)', async () => {
    const fr = await runCli(['report', 'verify', '--help'], { env: { LANG: 'fr_FR.UTF-8' } });
    assert.match(fr.stdout, /Affiche l'aide/);
    assert.match(fr.stdout, /^restorecheck report verify <dir>/);
  });
});

describe('a reader that leaves early', () => {
  it('`list-checks | head -1`: no EPIPE stack trace, exit 0', () => {
    const result = spawnSync('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" list-checks | head -1`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, NO_COLOR: '1' },
    });
    assert.equal(result.stdout.split('\n').filter(Boolean).length, 1);
    assert.doesNotMatch(result.stderr, /EPIPE|Error|at /);
    assert.equal(result.status, 0, result.stderr);
  });
});
