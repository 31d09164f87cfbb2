/**
 * What `restorecheck init` needs to know, and how each answer is validated. The same rules serve the
 * flags and the questions asked on a terminal, so an answer typed in is held to the flag's standard.
 *
 * Azure's naming rules are checked here, before anything is written: a typo in a server name would
 * otherwise only surface a month later, as a 404 in the first scheduled run.
 */
import { z } from 'zod';
import { INSTALL_FROM_FORMS, ON_NPM_REGISTRY, parseInstallSource } from './install-source.js';

export const CI_CHOICES = ['github', 'azure-devops', 'both', 'none'] as const;
export type CiChoice = (typeof CI_CHOICES)[number];

// Azure resource group names: letters, digits, underscore, parentheses, hyphen, period (Unicode letters allowed), not ending in a period.
const resourceGroup = z
  .string()
  .regex(/^[\p{L}\p{N}_().-]{1,90}$/u, { message: 'must be an Azure resource group name (1 to 90 letters, digits, _ ( ) - .)' })
  .refine((v) => !v.endsWith('.'), { message: 'an Azure resource group name cannot end with a period' });

const storageAccountName = z.string().regex(/^[a-z0-9]{3,24}$/, { message: 'must be a storage account name: 3 to 24 lowercase letters and digits' });
const containerName = z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, {
  message: 'must be a blob container name: 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit',
});

/** `init --fleet --shards N`: the default N, and its bounds (one job is no split; Azure DevOps and GitHub matrices allow 256). */
export const DEFAULT_SHARDS = 3;
export const MIN_SHARDS = 2;
export const MAX_SHARDS = 256;

/** One schema per answer, keyed like InitAnswers. */
/** A yes/no answer (a boolean flag such as --sign, or typed in), normalised to yes or no. */
const yesNo = z.string().transform((value, ctx) => {
  const v = value.trim().toLowerCase();
  if (['yes', 'y', 'true'].includes(v)) return 'yes';
  if (['no', 'n', 'false'].includes(v)) return 'no';
  ctx.addIssue({ code: 'custom', message: 'must be yes or no' });
  return z.NEVER;
});

export const answerSchemas = {
  // The same rule as the configuration's `environment` (it ends up in report file names).
  environment: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be a short label of letters, digits, dot, dash or underscore (e.g. production)' }),
  subscriptionId: z
    .string()
    .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
      message: 'must be a subscription id, a UUID such as 00000000-0000-0000-0000-000000000000 (`az account show --query id -o tsv`)',
    })
    .transform((v) => v.toLowerCase()),
  resourceGroup,
  server: z.string().regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, {
    message:
      'must be a Flexible Server name: 3 to 63 lowercase letters, digits and hyphens, not starting or ending with a hyphen (the name, not the host name)',
  }),
  storageAccount: storageAccountName,
  storageResourceGroup: resourceGroup,
  container: containerName,
  databaseUrlEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'must be an environment variable name (letters, digits, underscore; not starting with a digit)' })
    // GitHub refuses secret names starting with GITHUB_, and the workflow passes the URL as a secret of the same name.
    .refine((v) => !/^GITHUB_/i.test(v), { message: 'cannot start with GITHUB_ (GitHub reserves those names for its own variables)' }),
  // ACCOUNT/CONTAINER of the report store (report.store), held to the same naming rules as --storage-account and --container.
  reportStore: z.string().superRefine((value, ctx) => {
    const parts = value.split('/');
    if (parts.length !== 2) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be ACCOUNT/CONTAINER, a storage account and a blob container (e.g. medicapprecords/restorecheck-records)',
      });
      return;
    }
    const [account = '', container = ''] = parts;
    for (const [rule, part, what] of [
      [storageAccountName, account, 'the account'],
      [containerName, container, 'the container'],
    ] as const) {
      const parsed = rule.safeParse(part);
      if (!parsed.success) ctx.addIssue({ code: 'custom', message: `${what} ${JSON.stringify(part)} ${parsed.error.issues[0]?.message ?? 'is not valid'}` });
    }
  }),
  sign: yesNo,
  backupBeforeDeploy: yesNo,
  rollbackOnFailure: yesNo,
  ci: z.enum(CI_CHOICES, { message: `must be one of ${CI_CHOICES.join(', ')}` }),
  fleet: yesNo,
  // The CI jobs a fleet's check is split into (one shard each); more than 256 jobs is no longer "a few CI jobs".
  shards: z.string().transform((value, ctx) => {
    const n = /^\s*\d{1,3}\s*$/.test(value) ? Number(value) : Number.NaN;
    if (n >= MIN_SHARDS && n <= MAX_SHARDS) return String(n);
    ctx.addIssue({ code: 'custom', message: `must be a whole number from ${MIN_SHARDS} to ${MAX_SHARDS}` });
    return z.NEVER;
  }),
  // Normalised to npm's install spec (a git URL without a ref gets the version's tag).
  installFrom: z.string().transform((value, ctx) => {
    const parsed = parseInstallSource(value);
    if (parsed.ok) return parsed.source.kind === 'npm' ? 'npm' : parsed.source.spec;
    ctx.addIssue({ code: 'custom', message: parsed.problem });
    return z.NEVER;
  }),
} as const;

export type AnswerKey = keyof typeof answerSchemas;

/** Raw answers as given (flags or typed in); undefined: not given. */
export type RawAnswers = Partial<Record<AnswerKey, string>>;

/** A question `init` asks on a terminal, and the flag that answers it without one. */
export interface InitQuestion {
  key: AnswerKey;
  flag: string;
  prompt: string;
  /** A boolean flag (`--sign`, no value): its answer is yes or no. */
  boolean?: true;
  /** The flag's --help line, when the prompt's wording is for the terminal only. */
  flagHelp?: string;
  /** Without a default, an empty answer is refused for a required question and means "leave out" for an optional one. */
  required: boolean;
  /** The answer when none is given; may depend on earlier answers. */
  defaultFor?: (given: RawAnswers) => string | undefined;
  /** Whether the question applies, given the earlier answers (filled in with their defaults); absent: always. */
  appliesTo?: (filled: RawAnswers) => boolean;
}

/** In the order they are asked (a later default may use an earlier answer). */
export const INIT_QUESTIONS: readonly InitQuestion[] = [
  {
    key: 'environment',
    flag: '--environment',
    prompt: 'Environment label (shown in reports and report file names)',
    required: true,
    defaultFor: () => 'production',
  },
  { key: 'subscriptionId', flag: '--subscription-id', prompt: 'Azure subscription id', required: true },
  { key: 'resourceGroup', flag: '--resource-group', prompt: 'Resource group of the PostgreSQL Flexible Server', required: true },
  { key: 'server', flag: '--server', prompt: 'Flexible Server name', required: true },
  { key: 'storageAccount', flag: '--storage-account', prompt: 'Storage account holding the documents', required: true },
  {
    key: 'storageResourceGroup',
    flag: '--storage-resource-group',
    prompt: 'Resource group of the storage account',
    required: true,
    defaultFor: (given) => given.resourceGroup,
  },
  {
    key: 'container',
    flag: '--container',
    prompt: 'Blob container of the signed documents (empty: leave out)',
    flagHelp: 'blob container of the signed documents (optional)',
    required: false,
  },
  {
    key: 'databaseUrlEnv',
    flag: '--database-url-env',
    prompt: 'Environment variable (and CI secret) holding the database URL',
    required: true,
    defaultFor: () => 'DATABASE_URL',
  },
  { key: 'ci', flag: '--ci', prompt: `CI workflow to write (${CI_CHOICES.join(', ')})`, required: true, defaultFor: () => 'both' },
  {
    key: 'installFrom',
    flag: '--install-from',
    prompt: `Where CI installs restorecheck from (${INSTALL_FROM_FORMS})`,
    required: true,
    // No default while this version is not on the registry: a default that 404s would only fail a month later, in CI.
    ...(ON_NPM_REGISTRY ? { defaultFor: () => 'npm' } : {}),
    // Only the CI files install restorecheck.
    appliesTo: (filled) => filled.ci !== 'none',
  },
  {
    key: 'reportStore',
    flag: '--report-store',
    prompt: 'Report store, ACCOUNT/CONTAINER: the Azure Blob container that keeps the record across CI runs (empty: none)',
    flagHelp: 'ACCOUNT/CONTAINER of the report store (report.store), the Azure Blob container that keeps the record (optional)',
    required: false,
  },
  {
    key: 'sign',
    flag: '--sign',
    boolean: true,
    prompt: 'Sign every report with an Ed25519 key from the CI secret RESTORECHECK_SIGNING_KEY (report.signingKey; yes/no)',
    flagHelp: 'sign every report and audit line with an Ed25519 key from the CI secret RESTORECHECK_SIGNING_KEY (report.signingKey)',
    required: true,
    defaultFor: () => 'no',
  },
  {
    key: 'backupBeforeDeploy',
    flag: '--backup-before-deploy',
    boolean: true,
    prompt:
      'Also write a "backup before deploy" workflow (restorecheck backup on a self-hosted runner, verified, or the deployment stops; self-hosted stacks; yes/no)',
    flagHelp:
      'also write a reusable "backup before deploy" CI workflow: restorecheck backup of the self-hosted stack on a self-hosted runner, the deployment stops unless it passes',
    required: true,
    defaultFor: () => 'no',
    // Only GitHub gets the backup workflow (Azure DevOps: the README shows the stage to add).
    appliesTo: (filled) => filled.ci === 'github' || filled.ci === 'both',
  },
  {
    key: 'rollbackOnFailure',
    flag: '--rollback-on-failure',
    boolean: true,
    prompt: 'Also write a rollback workflow for a failed deployment (restorecheck restore of the archive the backup before deploy made; yes/no)',
    flagHelp:
      'with --backup-before-deploy, also write a reusable rollback CI workflow: restorecheck restore … latest of the self-hosted stack, for a deployment that failed after its backup passed',
    required: true,
    defaultFor: () => 'no',
    // The rollback restores the archive the backup workflow made: asked only when that workflow is written.
    appliesTo: (filled) => (filled.ci === 'github' || filled.ci === 'both') && filled.backupBeforeDeploy === 'yes',
  },
];

/**
 * Answers taken from flags only, never asked on a terminal: fleet mode (issue 17) is a deliberate choice for a team with
 * many servers, and the monthly single-server setup stays the one a newcomer is walked through.
 */
export const FLAG_ONLY_ANSWERS: readonly InitQuestion[] = [
  {
    key: 'fleet',
    flag: '--fleet',
    boolean: true,
    prompt:
      'fleet mode: azure.discover finds every tagged Flexible Server and storage account of the subscription, and the CI files split the check into --shards jobs, then merge their reports',
    required: false,
  },
  {
    key: 'shards',
    flag: '--shards',
    prompt: `with --fleet: the number of CI jobs the check is split into (${MIN_SHARDS} to ${MAX_SHARDS})`,
    required: false,
    // For --help only: withDefaults fills in INIT_QUESTIONS alone, and shardCountOf applies this default with --fleet.
    defaultFor: () => String(DEFAULT_SHARDS),
  },
];

/** Whether a question applies to these answers (defaults filled in). */
export function applies(question: InitQuestion, given: RawAnswers): boolean {
  return question.appliesTo?.(withDefaults(given)) ?? true;
}

/**
 * The questions still open: neither given nor answerable by a default. Without a terminal these are
 * what the usage error lists.
 */
export function missingAnswers(given: RawAnswers): InitQuestion[] {
  const filled = withDefaults(given);
  // A question with a default is never listed: when its default is missing (the storage resource group
  // without --resource-group), the answer it derives from is listed already.
  return INIT_QUESTIONS.filter((q) => q.required && !q.defaultFor && filled[q.key] === undefined && applies(q, filled));
}

/** Fills in every default, in question order (so storageResourceGroup sees resourceGroup). */
export function withDefaults(given: RawAnswers): RawAnswers {
  const filled: RawAnswers = { ...given };
  for (const q of INIT_QUESTIONS) {
    if (filled[q.key] === undefined) {
      const value = q.defaultFor?.(filled);
      if (value !== undefined) filled[q.key] = value;
    }
  }
  return filled;
}

/** One answer checked against its rule: the normalised value, or the problem in one sentence. */
export function checkAnswer(key: AnswerKey, value: string): { ok: true; value: string } | { ok: false; problem: string } {
  const parsed = answerSchemas[key].safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problem: parsed.error.issues.map((i) => i.message).join('; ') };
}

/**
 * Every answer `init` works from, validated; the container may be left out, and the install source is required only
 * when a CI file is written (a refinement below).
 */
const initAnswersSchema = z
  .strictObject({
    ...answerSchemas,
    container: answerSchemas.container.optional(),
    installFrom: answerSchemas.installFrom.optional(),
    reportStore: answerSchemas.reportStore.optional(),
    // Defaulted to no by validateAnswers; optional so that answers built in code (tests) need not say it.
    sign: answerSchemas.sign.optional(),
    backupBeforeDeploy: answerSchemas.backupBeforeDeploy.optional(),
    rollbackOnFailure: answerSchemas.rollbackOnFailure.optional(),
    fleet: answerSchemas.fleet.optional(),
    shards: answerSchemas.shards.optional(),
  })
  .superRefine((answers, ctx) => {
    // The number of jobs of a split that is not asked for would be silently ignored: refused, naming the flag that asks.
    if (answers.shards !== undefined && answers.fleet !== 'yes')
      ctx.addIssue({ code: 'custom', path: ['shards'], message: 'needs --fleet: the shards are the CI jobs a fleet check is split into' });
    if (answers.ci !== 'none' && answers.installFrom === undefined) ctx.addIssue({ code: 'custom', path: ['installFrom'], message: 'required' });
    // Without the backup before deploy there is no archive made by the failing run to roll back to, and `latest` would
    // restore whatever older archive is on the disk: refused rather than quietly writing a workflow that does that.
    if (answers.rollbackOnFailure === 'yes' && answers.backupBeforeDeploy !== 'yes')
      ctx.addIssue({
        code: 'custom',
        path: ['rollbackOnFailure'],
        message:
          'needs --backup-before-deploy: the rollback restores the archive the backup before deploy made (pass both --backup-before-deploy and --rollback-on-failure)',
      });
  });
export type InitAnswers = z.output<typeof initAnswersSchema>;

/** The number of shard jobs of a fleet (`--shards`, default 3); undefined without --fleet. */
export function shardCountOf(answers: InitAnswers): number | undefined {
  return answers.fleet === 'yes' ? Number(answers.shards ?? DEFAULT_SHARDS) : undefined;
}

/**
 * Validates every answer at once (defaults filled in). Problems come back as `--flag VALUE: message`
 * lines, all of them, so one run shows everything to fix.
 */
export function validateAnswers(given: RawAnswers): { answers: InitAnswers; problems: [] } | { answers?: undefined; problems: string[] } {
  const filled = withDefaults(given);
  // An empty answer means "not given" (the optional container left out on a terminal).
  const input = Object.fromEntries(Object.entries(filled).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = initAnswersSchema.safeParse(input);
  if (parsed.success) return { answers: parsed.data, problems: [] };
  const byKey = new Map<string, string[]>();
  for (const issue of parsed.error.issues) {
    const key = String(issue.path[0] ?? '');
    byKey.set(key, [...(byKey.get(key) ?? []), issue.message]);
  }
  const problems = [...INIT_QUESTIONS, ...FLAG_ONLY_ANSWERS]
    .filter((q) => byKey.has(q.key))
    .map((q) => {
      const raw = input[q.key];
      if (q.boolean) return `${q.flag}: ${byKey.get(q.key)!.join('; ')}`;
      return raw === undefined ? `${q.flag}: required (${lowerFirst(q.prompt)})` : `${q.flag} ${JSON.stringify(raw)}: ${byKey.get(q.key)!.join('; ')}`;
    });
  return { problems };
}

/**
 * A prompt as the middle of a sentence: its first word lower-cased unless it is a name or an acronym ("Azure
 * subscription id", "CI workflow", "Flexible Server name" keep theirs). Only a plain capitalised word is lowered.
 */
export function lowerFirst(text: string): string {
  const first = text.split(/[\s(]/, 1)[0] ?? '';
  const keep = /^[A-Z]{2,}/.test(first) || ['Azure', 'Flexible', 'PostgreSQL'].includes(first);
  return keep ? text : text.charAt(0).toLowerCase() + text.slice(1);
}
