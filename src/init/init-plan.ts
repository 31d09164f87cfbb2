/**
 * Answers → the files `init` writes (relative paths and contents) and what to do next. Pure: the
 * CLI decides whether it may write them.
 */
import { renderAzureFleetPipeline } from './azure-fleet-pipeline.js';
import { AZURE_PIPELINE_FILE, SERVICE_CONNECTION, renderAzurePipeline } from './azure-pipeline.js';
import { CONFIG_FILE, PUBLIC_KEY_FILE, SIGNING_KEY_FILE, SIGNING_KEY_SECRET, SIGNING_KEY_VARIABLE, renderConfig, reportStoreOf } from './config-document.js';
import { GITHUB_BACKUP_WORKFLOW_FILE, renderGithubBackupWorkflow } from './github-backup-workflow.js';
import { GITHUB_ROLLBACK_WORKFLOW_FILE, renderGithubRollbackWorkflow } from './github-rollback-workflow.js';
import { renderGithubFleetWorkflow } from './github-fleet-workflow.js';
import { GITHUB_WORKFLOW_FILE, renderGithubWorkflow } from './github-workflow.js';
import { type InitAnswers, shardCountOf } from './init-answers.js';

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
  // --fleet: the same files, the check split into shard jobs of the CI engine's matrix and a merge job.
  const fleet = answers.fleet === 'yes';
  if (github) files.push({ path: GITHUB_WORKFLOW_FILE, content: fleet ? renderGithubFleetWorkflow(answers) : renderGithubWorkflow(answers) });
  if (github && answers.backupBeforeDeploy === 'yes') files.push({ path: GITHUB_BACKUP_WORKFLOW_FILE, content: renderGithubBackupWorkflow(answers) });
  // validateAnswers refuses a rollback without the backup before deploy; the check here only keeps the plan honest.
  if (github && answers.backupBeforeDeploy === 'yes' && answers.rollbackOnFailure === 'yes')
    files.push({ path: GITHUB_ROLLBACK_WORKFLOW_FILE, content: renderGithubRollbackWorkflow(answers) });
  if (azureDevops) files.push({ path: AZURE_PIPELINE_FILE, content: fleet ? renderAzureFleetPipeline(answers) : renderAzurePipeline(answers) });
  return { files, nextSteps: nextSteps(answers, { github, azureDevops }) };
}

function nextSteps(answers: InitAnswers, ci: { github: boolean; azureDevops: boolean }): string[] {
  const env = answers.databaseUrlEnv;
  const sub = `/subscriptions/${answers.subscriptionId}`;
  const groups = [...new Set([answers.resourceGroup, answers.storageResourceGroup])];
  const sign = answers.sign === 'yes';
  const store = reportStoreOf(answers);
  const steps: string[] = [
    `Fill in what init cannot know: database.coreTables, database.alembic (expectedHead or migrationsDir) and, optionally, database.signedDocument in ${CONFIG_FILE}.`,
    `Check it (contacts nothing): ${env}='postgres://…' ${sign ? `${SIGNING_KEY_VARIABLE}="$(cat ${SIGNING_KEY_FILE})" ` : ''}npx restorecheck validate-config --config ${CONFIG_FILE}`,
    `Give the CI identity (an app registration, or a user-assigned managed identity) read access${store ? ', and write access to the report store' : ''}:`,
    ...groups.map((g) => `  az role assignment create --assignee <client id> --role Reader --scope ${sub}/resourceGroups/${g}`),
  ];
  if (answers.container) {
    steps.push(
      `  az role assignment create --assignee <client id> --role "Storage Blob Data Reader" ` +
        `--scope ${sub}/resourceGroups/${answers.storageResourceGroup}/providers/Microsoft.Storage/storageAccounts/${answers.storageAccount}/blobServices/default/containers/${answers.container}`,
    );
  }
  if (store) {
    const rg = answers.storageResourceGroup;
    steps.push(
      `  az role assignment create --assignee <client id> --role "Storage Blob Data Contributor" ` +
        `--scope ${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${store.account}/blobServices/default/containers/${store.container}`,
      `  (the report store; Reader on its resource group too, for report-store-immutability, if it is not ${rg})`,
    );
  }
  steps.push(`  restore-test also creates a server in ${answers.resourceGroup} from a backup and deletes it: Reader is not enough for that step.`);
  const shards = shardCountOf(answers);
  if (shards !== undefined) {
    steps.push(
      `Fleet mode (azure.discover in ${CONFIG_FILE}): Reader on the whole subscription, so that Resource Graph finds every tagged resource:`,
      `  az role assignment create --assignee <client id> --role Reader --scope ${sub}`,
      '  Tag each server and storage account to check: az tag update --resource-id <resource id> --operation merge --tags restorecheck=on',
      // A fleet restore-test creates each copy next to its source (or in the override's targetResourceGroup), in the source's subscription.
      '  restore-test then creates each copy in its source server’s own resource group and subscription (or an override’s targetResourceGroup): the restore roles are needed there, not only in ' +
        `${answers.resourceGroup}`,
      ...(answers.ci === 'none'
        ? []
        : [
            `  The CI files split the check into ${shards} jobs (--shard K/${shards}) and merge their reports: restorecheck report merge shard-reports/shard-*`,
          ]),
    );
  }
  if (store) {
    const target = `-g ${answers.storageResourceGroup} --account-name ${store.account} -c ${store.container}`;
    steps.push(
      `The report store: create the container and lock a 365-day retention policy on it (once; locking cannot be undone):`,
      `  az storage container create --auth-mode login --account-name ${store.account} -n ${store.container}`,
      `  az storage container immutability-policy create ${target} --period 365`,
      `  az storage container immutability-policy lock ${target} --if-match "<etag from the create>"`,
    );
  }
  if (sign) {
    steps.push(
      'The signing key (init writes no key): generate it, store the private key as a CI secret, keep the public key for the auditor:',
      `  openssl genpkey -algorithm ed25519 -out ${SIGNING_KEY_FILE}`,
      `  openssl pkey -in ${SIGNING_KEY_FILE} -pubout -out ${PUBLIC_KEY_FILE}`,
      ...(ci.github ? [`  gh secret set ${SIGNING_KEY_SECRET} < ${SIGNING_KEY_FILE}`] : []),
      ...(ci.azureDevops ? [`  Azure DevOps: a secret pipeline variable ${SIGNING_KEY_SECRET} holding the PEM, its line breaks included`] : []),
      `  Commit ${PUBLIC_KEY_FILE} (or hand it to the auditor); never commit ${SIGNING_KEY_FILE}: keep it offline or delete it.`,
      `  The auditor verifies: restorecheck report verify DIR --public-key ${PUBLIC_KEY_FILE}`,
    );
  }
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
  if (answers.backupBeforeDeploy === 'yes') {
    const rollback = answers.rollbackOnFailure === 'yes';
    steps.push(
      `Backup before deploy: fill in and uncomment the selfHosted section of ${CONFIG_FILE}, then check it on the server: restorecheck backup --config ${CONFIG_FILE} --environment dev`,
      ...(ci.github
        ? [
            `  GitHub: a self-hosted runner on that server with the label restorecheck-backup, the secrets PGPASSWORD and BACKUP_SIGNING_KEY, and in the deploy workflow a job \`backup: { uses: ./${GITHUB_BACKUP_WORKFLOW_FILE}, secrets: inherit }\` that the deploy job \`needs:\`.`,
            ...(rollback
              ? [
                  `  Rollback: fill in selfHosted.stop and selfHosted.start too, and add to the deploy workflow a job \`rollback\` that needs [backup, deploy], runs if: failure() && needs.backup.result == 'success', and uses ./${GITHUB_ROLLBACK_WORKFLOW_FILE} with secrets: inherit and the inputs environment and reason (the header of ${GITHUB_BACKUP_WORKFLOW_FILE} shows it).`,
                ]
              : []),
          ]
        : []),
      ...(ci.azureDevops
        ? [
            `  Azure DevOps: init writes no backup stage yet${rollback ? ', nor a rollback stage' : ''}; the README, "Backup before deploy", shows the step to add before the deployment stage.`,
          ]
        : []),
    );
  }
  steps.push('Commit the files, then start the first run by hand (GitHub: Actions → Run workflow) rather than waiting for the 1st of the month.');
  return steps;
}
