import { checks } from '../../checks/index.js';
import { CONTROL_NAMES } from '../../report/labels.js';
import { requirementText } from '../../report/presentation.js';
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
        // Each requirement as framework + control, with its human name when one is known.
        controls: controls.map((c) => ({
          ...c,
          ...(CONTROL_NAMES[`${c.framework} ${c.control}`] ? { name: CONTROL_NAMES[`${c.framework} ${c.control}`] } : {}),
        })),
      }));
      output.out(`${JSON.stringify(catalogue, null, 2)}\n`);
      return;
    }
    const width = Math.max(...sorted.map((c) => c.id.length));
    // One line per check, then one indented line per requirement it evidences (framework, control, name).
    const lines: string[] = [];
    for (const check of sorted) {
      lines.push(`${check.id.padEnd(width)}  ${check.severity.padEnd(8)}  ${check.command.padEnd(12)}  ${check.title}`);
      for (const c of check.controls) {
        const name = (c as { title?: unknown; label?: unknown }).title ?? (c as { label?: unknown }).label ?? CONTROL_NAMES[`${c.framework} ${c.control}`];
        lines.push(`${' '.repeat(width + 2)}- ${requirementText({ ...c, ...(typeof name === 'string' ? { name } : {}) })}`);
      }
    }
    output.out(`${lines.join('\n')}\n`);
  },
});
