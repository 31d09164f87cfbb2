import { checksFor } from '../../checks/index.js';
import { english } from '../../checks/messages.js';
import { kindOf } from '../../run/fleet-check.js';
import { missingNeed } from '../../run/runner.js';
import { maskUrl } from '../../secrets/redact.js';
import { defineCommand } from '../command.js';
import { loadConfigFor, withConfigOption } from '../config-option.js';

const KIND_NAMES = { postgres: 'Flexible Servers', storage: 'storage accounts' } as const;

export const validateConfigCommand = defineCommand({
  builder: (yargs) => withConfigOption(yargs, true),
  async run(argv, { output }) {
    const { config, path } = await loadConfigFor(argv.config, output);
    output.out(`${path}: valid configuration for environment "${config.environment}".\n`);
    if (config.database) output.out(`  database: ${maskUrl(config.database.url)}\n`);
    if (config.azure?.postgres) output.out(`  azure.postgres: ${config.azure.postgres.resourceGroup}/${config.azure.postgres.server}\n`);
    if (config.azure?.storage) output.out(`  azure.storage: ${config.azure.storage.resourceGroup}/${config.azure.storage.account}\n`);
    const discover = config.azure?.discover;
    if (discover) {
      const scope = discover.subscriptions === 'all' ? 'every subscription the identity can read' : `${discover.subscriptions.length} subscription(s)`;
      const tag =
        Object.entries(discover.tag)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || 'no tag filter';
      const kinds = discover.kinds.map((k) => KIND_NAMES[k]).join(' and ');
      const overrides = discover.overrides.length;
      output.out(`  azure.discover: ${scope}, tag ${tag}, ${kinds}; ${overrides} override${overrides === 1 ? '' : 's'}\n`);
    }
    output.out('  `restorecheck check` would evaluate:\n');
    for (const check of checksFor('check')) {
      // Fleet mode: the Azure checks run once per discovered resource of their kind (run/fleet-check.ts).
      const kind = discover ? kindOf(check) : undefined;
      if (discover && kind) {
        const line = discover.kinds.includes(kind)
          ? `on each discovered ${KIND_NAMES[kind].replace(/s$/, '')}`
          : `skipped: azure.discover.kinds leaves out ${KIND_NAMES[kind].toLowerCase()}`;
        output.out(`    ${check.id.padEnd(28)} ${line}\n`);
        continue;
      }
      const skip = check.needs.map((n) => missingNeed(n, config)).find(Boolean) ?? check.notApplicable?.(config);
      output.out(`    ${check.id.padEnd(28)} ${skip ? `skipped: ${english(skip)}` : 'yes'}\n`);
    }
  },
});
