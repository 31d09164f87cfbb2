import { archiveSubject } from '../../archive/archive-subject.js';
import { CONTROLS, defineCheck } from '../types.js';

export const archiveIntegrity = defineCheck({
  id: 'archive-integrity',
  title: 'The archive’s gzip stream and tar structure are complete and valid',
  severity: 'critical',
  description:
    'Decompresses the whole archive (gzip CRC-32 and length checked), walks every tar header (header checksums checked) and requires the ' +
    'end-of-archive blocks, so a truncated or damaged file is caught.',
  risk: 'A truncated or corrupt archive cannot be restored, and the damage often shows only at restore time, when it is too late.',
  remediation:
    'Find out why the archive is damaged (disk full during the backup, an interrupted copy, storage errors) and take a new backup; keep the previous good one.',
  controls: [CONTROLS.backup, CONTROLS.hdsIntegrity],
  needs: ['archive'],
  command: 'verify',
  async run(ctx) {
    const { verification: v } = await archiveSubject(ctx.archive, ctx.config);
    const c = v.container;
    const evidence = { archive: v.fileName, compressedBytes: v.sizeBytes, tarBytes: c.tarBytes, entries: c.entries, ...(c.layer ? { layer: c.layer } : {}) };
    if (c.problem) {
      return { status: 'fail', message: `${v.fileName} is not a complete, valid tar.gz: ${c.problem}.`, evidence };
    }
    return {
      status: 'pass',
      message: `${v.fileName}: the gzip stream and the tar structure are complete and valid (${c.entries} entries, ${c.tarBytes} bytes of tar).`,
      evidence,
    };
  },
});
