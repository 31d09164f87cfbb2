/**
 * What both CI pipelines run, in one place, so the GitHub workflow and the Azure DevOps pipeline
 * cannot disagree on the schedule, the version, the commands or where the reports go.
 */
import { TOOL_VERSION } from '../version.js';
import { CONFIG_FILE } from './config-document.js';

/** 03:17 UTC on the 1st of each month: monthly, and off the hour, when hosted schedulers are least crowded. */
export const MONTHLY_CRON = '17 3 1 * *';

export const REPORTS_DIR = 'reports';

/** The version that wrote the pipeline is the version it runs; upgrading is a one-line change. */
export const PINNED_VERSION = TOOL_VERSION;

/** Every format an auditor or a CI view uses: the JSON record, the checklist, the HTML page, JUnit for the test tab. */
const FORMATS = ['json', 'markdown', 'html', 'junit'] as const;

/** `restorecheck <command> --config … --out-dir reports --format …` (restorecheck installed globally in an earlier step). */
export function restorecheckCommandLine(command: 'check' | 'restore-test'): string {
  return ['restorecheck', command, '--config', CONFIG_FILE, '--out-dir', REPORTS_DIR, ...FORMATS.flatMap((f) => ['--format', f])].join(' ');
}

/** The install step's command, given how the pipeline spells a variable (`$NAME` in bash, `$(NAME)` in Azure DevOps). */
export function installCommandLine(versionVariable: string): string {
  return `npm install --global "restorecheck@${versionVariable}"`;
}

/**
 * `restorecheck restore-test cleanup --config …`: deletes restore servers an earlier or this run left behind (a killed
 * job, a cancelled run). On a fresh CI runner no ledger knows them, so it finds them by their tags (README).
 */
export function cleanupCommandLine(): string {
  return ['restorecheck', 'restore-test', 'cleanup', '--config', CONFIG_FILE].join(' ');
}
