/**
 * Answers → the files `init` writes (relative paths and contents) and what to do next. Pure: the
 * CLI decides whether it may write them.
 */
import { AZURE_PIPELINE_FILE, SERVICE_CONNECTION, renderAzurePipeline } from './azure-pipeline.js';
import { CONFIG_FILE, renderConfig } from './config-document.js';
import { GITHUB_WORKFLOW_FILE, renderGithubWorkflow } from './github-workflow.js';
import type { InitAnswers } from './init-answers.js';

export interface PlannedFile {
  /** Relative to the directory `init` writes into, `/`-separated. */
  path: string;
  content: string;
}

export interface InitPlan {
  files: PlannedFile[];
  /** Shown after the files are written. */
  nextSteps: string[];
}

export function planInit(answers: InitAnswers): InitPlan {
  const files: PlannedFile[] = [{ path: CONFIG_FILE, content: renderConfig(answers) }];
  const github = answers.ci === 'github' || answers.ci === 'both';
  const azureDevops = answers.ci === 'azure-devops' || answers.ci === 'both';
  if (github) files.push({ path: GITHUB_WORKFLOW_FILE, content: renderGithubWorkflow(answers) });
  if (azureDevops) files.push({ path: AZURE_PIPELINE_FILE, content: renderAzurePipeline(answers) });
  return { files, nextSteps: nextSteps(answers, { github, azureDevops }) };
}

function nextSteps(answers: InitAnswers, ci: { github: boolean; azureDevops: boolean }): string[] {
  const env = answers.databaseUrlEnv;
  const sub = `/subscriptions/${answers.subscriptionId}`;
  const groups = [...new Set([answers.resourceGroup, answers.storageResourceGroup])];
  const steps: string[] = [
    `Fill in what init cannot know: database.coreTables, database.alembic (expectedHead or migrationsDir) and, optionally, database.signedDocument in ${CONFIG_FILE}.`,
    `Check it (contacts nothing): ${env}='postgres://…' npx restorecheck validate-config --config ${CONFIG_FILE}`,
    'Give the CI identity (an app registration, or a user-assigned managed identity) read access:',
    ...groups.map((g) => `  az role assignment create --assignee <client id> --role Reader --scope ${sub}/resourceGroups/${g}`),
  ];
  if (answers.container) {
    steps.push(
      `  az role assignment create --assignee <client id> --role "Storage Blob Data Reader" ` +
        `--scope ${sub}/resourceGroups/${answers.storageResourceGroup}/providers/Microsoft.Storage/storageAccounts/${answers.storageAccount}/blobServices/default/containers/${answers.container}`,
    );
  }
  steps.push(`  restore-test also creates a server in ${answers.resourceGroup} from a backup and deletes it: Reader is not enough for that step.`);
  if (ci.github) {
    steps.push(
      'GitHub: a federated credential for the repository (scheduled runs use the default branch), then the variables and the secret:',
      '  az ad app federated-credential create --id <client id> --parameters ' +
        '\'{"name":"restorecheck","issuer":"https://token.actions.githubusercontent.com","subject":"repo:<owner>/<repo>:ref:refs/heads/main","audiences":["api://AzureADTokenExchange"]}\'',
      '  gh variable set AZURE_CLIENT_ID --body <client id>; gh variable set AZURE_TENANT_ID --body <tenant id>',
      `  gh variable set AZURE_SUBSCRIPTION_ID --body ${answers.subscriptionId}; gh secret set ${env}`,
    );
  }
  if (ci.azureDevops) {
    steps.push(
      `Azure DevOps: a service connection named "${SERVICE_CONNECTION}" (Azure Resource Manager, workload identity federation), a secret variable ${env}, and a pipeline from ${AZURE_PIPELINE_FILE}.`,
    );
  }
  // A tarball in the repository: the runner has only the checkout, so the file must be committed with the workflow.
  if (answers.ci !== 'none' && answers.installFrom?.startsWith('./'))
    steps.push(`Add ${answers.installFrom} to the repository (npm pack in a restorecheck checkout makes it): the install step installs it from the checkout.`);
  steps.push('Commit the files, then start the first run by hand (GitHub: Actions → Run workflow) rather than waiting for the 1st of the month.');
  return steps;
}
