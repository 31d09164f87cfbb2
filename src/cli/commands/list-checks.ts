import { checks } from '../../checks/index.js';
import { defineCommand } from '../command.js';

export const listChecksCommand = defineCommand({
  builder: (yargs) =>
    yargs.option('format', { type: 'string', choices: ['console', 'json'], default: 'console', describe: 'output format', requiresArg: true }),
  async run(argv, { output }) {
    const sorted = [...checks].sort((a, b) => a.id.localeCompare(b.id));
    if (argv.format === 'json') {
      const catalogue = sorted.map(({ id, title, severity, description, risk, remediation, controls, needs, command }) => ({
        id,
        title,
        severity,
        command,
        needs,
        description,
        risk,
        remediation,
        controls,
      }));
      output.out(`${JSON.stringify(catalogue, null, 2)}\n`);
      return;
    }
    const width = Math.max(...sorted.map((c) => c.id.length));
    for (const check of sorted) {
      const controls = check.controls.map((c) => (c.framework === 'HDS' ? 'HDS' : `${c.framework} ${c.control}`)).join(', ');
      output.out(`${check.id.padEnd(width)}  ${check.severity.padEnd(8)}  ${check.command.padEnd(12)}  ${check.title}  [${controls}]\n`);
    }
  },
});
