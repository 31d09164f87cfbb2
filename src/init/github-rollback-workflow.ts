/**
 * The rollback workflow `init --backup-before-deploy --rollback-on-failure` writes beside the backup one: a reusable
 * workflow (workflow_call) that a deploy workflow calls when its deployment failed after the backup passed, as
 * `restore-backup.sh production latest` did. It runs `restorecheck restore … latest` on the same self-hosted runner as
 * the backup (the archive is on that server's disk, and the stack it restores runs there), and keeps the report.
 *
 * The caller's text (the reason, the environment) reaches the shell only through env: variables, double-quoted: an
 * input spliced into a `run:` line as an expression would be shell code, and a reason built from a branch name or a
 * commit message is anyone's to write.
 */
import { CommentedYaml } from './commented-yaml.js';
import { CONFIG_FILE } from './config-document.js';
import {
  BACKUP_ENVIRONMENT,
  BACKUP_RUNNER_LABEL,
  CI_NODE_MAJOR,
  PINNED_VERSION,
  PRODUCTION_CONFIRMATION,
  REPORTS_DIR,
  ROLLBACK_ENVIRONMENT_VARIABLE,
  ROLLBACK_REASON_VARIABLE,
  installCommandLine,
  rollbackCommandLine,
  selfHostedStepEnv,
} from './ci-commands.js';
import type { InitAnswers } from './init-answers.js';

export const GITHUB_ROLLBACK_WORKFLOW_FILE = '.github/workflows/restorecheck-rollback.yml';

/** The reason the deploy workflow passes: which run failed, at which commit, and where to read it. Only GitHub's own values. */
export const ROLLBACK_REASON_EXAMPLE =
  'rollback: deploy run ${{ github.run_id }} of ${{ github.sha }} failed (${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }})';

/**
 * The deploy workflow's rollback job, as the backup workflow's header, init's next steps and the README show it. It needs
 * the backup too, and runs only when the backup passed: a failed backup made no archive, and `latest` would then be an
 * older one that this run never made.
 */
export function rollbackCallerLines(): string[] {
  return [
    '  rollback:',
    '    needs: [backup, deploy]',
    "    if: failure() && needs.backup.result == 'success'   # never an archive this run did not make",
    `    uses: ./${GITHUB_ROLLBACK_WORKFLOW_FILE}`,
    '    secrets: inherit',
    '    with:',
    `      environment: ${BACKUP_ENVIRONMENT}`,
    `      reason: "${ROLLBACK_REASON_EXAMPLE}"`,
  ];
}

export function githubRollbackWorkflowData(answers: InitAnswers): Record<string, unknown> {
  // Inputs only through env: (see the header); the configuration's own variables as the backup step has them.
  const env = {
    ...selfHostedStepEnv(answers),
    [ROLLBACK_ENVIRONMENT_VARIABLE]: '${{ inputs.environment }}',
    [ROLLBACK_REASON_VARIABLE]: '${{ inputs.reason }}',
  };
  return {
    name: 'restorecheck rollback after a failed deployment',
    on: {
      workflow_call: {
        inputs: {
          environment: {
            description: 'The environment to restore: its latest archive (the one the backup before deploy made).',
            type: 'string',
            required: false,
            default: BACKUP_ENVIRONMENT,
          },
          reason: {
            description: 'Why: which deployment failed (kept in the restore report and the audit log).',
            type: 'string',
            required: true,
          },
        },
      },
    },
    permissions: { contents: 'read' },
    concurrency: { group: 'restorecheck-rollback-${{ inputs.environment }}', 'cancel-in-progress': false },
    env: { RESTORECHECK_VERSION: PINNED_VERSION },
    jobs: {
      rollback: {
        'runs-on': ['self-hosted', BACKUP_RUNNER_LABEL],
        'timeout-minutes': 240,
        steps: [
          { uses: 'actions/checkout@v7' },
          { uses: 'actions/setup-node@v7', with: { 'node-version': CI_NODE_MAJOR } },
          { name: 'Install restorecheck', run: installCommandLine(answers, '$RESTORECHECK_VERSION') },
          {
            name: `restorecheck restore (${BACKUP_ENVIRONMENT})`,
            if: `inputs.environment == '${BACKUP_ENVIRONMENT}'`,
            run: rollbackCommandLine(true),
            env,
          },
          {
            name: 'restorecheck restore',
            if: `inputs.environment != '${BACKUP_ENVIRONMENT}'`,
            run: rollbackCommandLine(false),
            env,
          },
          {
            name: 'Upload the restore report',
            if: 'always()',
            uses: 'actions/upload-artifact@v7',
            with: {
              name: 'restorecheck-rollback-${{ inputs.environment }}-${{ github.run_id }}-${{ github.run_attempt }}',
              path: `${REPORTS_DIR}/`,
              'if-no-files-found': 'warn',
            },
          },
        ],
      },
    },
  };
}

export function renderGithubRollbackWorkflow(answers: InitAnswers): string {
  const steps = ['jobs', 'rollback', 'steps'] as const;
  return new CommentedYaml(githubRollbackWorkflowData(answers), [
    'restorecheck: roll back a failed deployment to the verified backup taken just before it.',
    `Written by \`restorecheck init --backup-before-deploy --rollback-on-failure\` (restorecheck ${PINNED_VERSION}); see the README, "Backup before deploy".`,
    '',
    'Call it from the deploy workflow, after the backup and the deployment (the header of restorecheck-backup.yml shows the whole):',
    '  jobs:',
    ...rollbackCallerLines().map((line) => `  ${line}`),
    '',
    'Before the first run: what restorecheck-backup.yml needs (the runner, the secrets, the selfHosted section), and the',
    `selfHosted stop/start commands of ${CONFIG_FILE}: restore stops the stack, restores every component, starts it again.`,
  ])
    .above(['on', 'workflow_call'], 'Only a deploy workflow calls it: a restore is never started by hand from here.')
    .above(['concurrency'], 'One restore of an environment at a time, never cancelled half-way.')
    .above(['jobs', 'rollback', 'runs-on'], 'The runner of the backup: the archive is on its disk, and the stack it restores runs there.')
    .above(
      [...steps, 3],
      `Production: restore refuses to overwrite it without a terminal unless given the words "${PRODUCTION_CONFIRMATION}" and a reason.`,
      'The inputs reach the shell as environment variables, quoted: never as an expression in the script (a reason is text, not code).',
      'restore takes a safety backup of what is there first (--no-safety-backup is not passed); any exit code but 0 fails the job.',
    )
    .above([...steps, 4], 'Any other environment: --yes stands for the confirmation.')
    .above([...steps, 5], 'always(): the report of a failed restore is the one you need.')
    .toString();
}
