/**
 * The question loop with a scripted terminal (the CLI test plays it on a real pseudo-terminal too,
 * when util-linux `script` is installed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Terminal, askAnswers } from '../../src/init/ask-answers.js';
import { validateAnswers } from '../../src/init/init-answers.js';

function scripted(lines: string[]): Terminal & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    prompts,
    prompt: (text) => void prompts.push(text),
    readLine: async () => lines.shift(),
  };
}

describe('askAnswers', () => {
  it('asks every open question in order, takes defaults on Enter, asks again after a bad answer', async () => {
    const terminal = scripted([
      '',
      'nope',
      '1B2C3D4E-0000-4000-8000-000000000001',
      'rg',
      'db-prod',
      'storeprod',
      '',
      'docs',
      '',
      'azure-devops',
      'latest',
      'npm',
      'medicapprecords/Records',
      'medicapprecords/records',
      'Y',
    ]);
    const answers = await askAnswers({}, terminal);
    assert.deepEqual(answers, {
      environment: 'production',
      subscriptionId: '1b2c3d4e-0000-4000-8000-000000000001',
      resourceGroup: 'rg',
      server: 'db-prod',
      storageAccount: 'storeprod',
      storageResourceGroup: 'rg',
      container: 'docs',
      databaseUrlEnv: 'DATABASE_URL',
      ci: 'azure-devops',
      installFrom: 'npm',
      reportStore: 'medicapprecords/records',
      sign: 'yes',
    });
    assert.ok(
      terminal.prompts.some((p) => /^ {2}the container "Records" must be a blob container name/.test(p)),
      'a bad report store is asked again',
    );
    assert.ok(
      terminal.prompts.some((p) => /^ {2}must be npm, git\+https/.test(p)),
      'a bad install source is asked again',
    );
    assert.ok(terminal.prompts.some((p) => /must be a subscription id/.test(p)));
    assert.equal(terminal.prompts.filter((p) => p.startsWith('Azure subscription id')).length, 2);
    assert.ok(validateAnswers(answers).answers);
  });

  it('skips what was given; an empty optional answer leaves it out', async () => {
    const terminal = scripted(['', '', '', 'none', '', '']);
    const answers = await askAnswers(
      { environment: 'dev', subscriptionId: '1b2c3d4e-0000-4000-8000-000000000001', resourceGroup: 'rg', server: 'db1', storageAccount: 'st1' },
      terminal,
    );
    assert.equal(answers.container, undefined);
    assert.equal(answers.ci, 'none');
    assert.equal(answers.reportStore, undefined);
    assert.equal(answers.sign, 'no', 'Enter takes the default: not signed');
    assert.equal(terminal.prompts.length, 6, 'no install source asked when no CI file is written');
  });

  it('stops after three bad answers, and at end of input', async () => {
    await assert.rejects(askAnswers({ environment: 'dev' }, scripted(['x', 'y', 'z'])), /no valid answer for --subscription-id after 3 tries/);
    await assert.rejects(askAnswers({}, scripted(['dev'])), /no more input/);
  });
});
