import { checksFor } from '../../checks/index.js';
import { english } from '../../checks/messages.js';
import { missingNeed } from '../../run/runner.js';
import { maskUrl } from '../../secrets/redact.js';
import { defineCommand } from '../command.js';
import { loadConfigFor, withConfigOption } from '../config-option.js';

export const validateConfigCommand = defineCommand({
  builder: (yargs) => withConfigOption(yargs, true),
  async run(argv, { output }) {
    const { config, path } = await loadConfigFor(argv.config, output);
    output.out(`${path}: valid configuration for environment "${config.environment}".\n`);
    if (config.database) output.out(`  database: ${maskUrl(config.database.url)}\n`);
    if (config.azure?.postgres) output.out(`  azure.postgres: ${config.azure.postgres.resourceGroup}/${config.azure.postgres.server}\n`);
    if (config.azure?.storage) output.out(`  azure.storage: ${config.azure.storage.resourceGroup}/${config.azure.storage.account}\n`);
    output.out('  `restorecheck check` would evaluate:\n');
    for (const check of checksFor('check')) {
      const skip = check.needs.map((n) => missingNeed(n, config)).find(Boolean) ?? check.notApplicable?.(config);
      output.out(`    ${check.id.padEnd(28)} ${skip ? `skipped: ${english(skip)}` : 'yes'}\n`);
    }
  },
});
