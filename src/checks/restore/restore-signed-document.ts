import { restoredOrThrow, valueOr } from '../../restore/judge.js';
import { CONTROLS, defineCheck } from '../types.js';

export const restoreSignedDocument = defineCheck({
  id: 'restore-signed-document',
  title: 'The signed-document probe passes against the restored database',
  severity: 'medium',
  description:
    'Runs the signed-document probe (database.signedDocument) against the restored database: the newest signed document it names must exist and be intact.',
  risk: 'A restore whose document references point at missing or altered files cannot serve as legal evidence.',
  remediation: 'See the signed-document check: restore the blob from versioning or soft delete, or fix the query.',
  controls: [CONTROLS.backup, CONTROLS.hdsIntegrity],
  needs: [],
  uses: ['restore'],
  command: 'restore-test',
  async run(ctx) {
    const outcome = ctx.restore;
    const restored = restoredOrThrow(outcome);
    if (!restored.signedDocument) return { status: 'skipped', message: 'No signed-document query is configured (database.signedDocument).' };
    const probe = valueOr(restored.signedDocument, 'The signed-document probe could not run on the restored database');
    if ('finding' in probe) return probe.finding;
    return { status: probe.value.status, message: `On the restored database: ${probe.value.message}`, evidence: probe.value.evidence };
  },
});
