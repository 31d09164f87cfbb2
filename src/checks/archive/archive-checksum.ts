import { archiveSubject } from '../../archive/archive-subject.js';
import { CONTROLS, defineCheck } from '../types.js';

export const archiveChecksum = defineCheck({
  id: 'archive-checksum',
  title: 'The archive matches its SHA-256 sidecar',
  severity: 'critical',
  description:
    'Reads the `<archive>.sha256` sidecar strictly (one line in sha256sum format, text, binary or --tag, naming the archive by its base name; ' +
    'no BOM, CRLF or extra line) and compares its hash with the SHA-256 of the archive, computed during the single read.',
  risk: 'Without a matching checksum nobody can show that the archive restored is the one that was written: silent corruption or tampering goes unnoticed.',
  remediation:
    'Regenerate the sidecar where the archive is written (`sha256sum NAME.tar.gz > NAME.tar.gz.sha256`), and treat a mismatch as a corrupt ' +
    'backup: restore from another one and find out what changed the file.',
  controls: [CONTROLS.backup, CONTROLS.hdsIntegrity],
  needs: ['archive'],
  command: 'verify',
  async run(ctx) {
    const { verification: v } = await archiveSubject(ctx.archive, ctx.config);
    const evidence = {
      archive: v.fileName,
      sidecar: v.sidecar.path,
      actual: v.sha256,
      sizeBytes: v.sizeBytes,
      ...(v.sidecar.sha256 ? { expected: v.sidecar.sha256 } : {}),
    };
    if (v.sidecar.state === 'missing') {
      return { status: 'fail', message: `${v.fileName} has no sidecar ${v.fileName}.sha256; expected one in sha256sum format.`, evidence };
    }
    if (v.sidecar.state === 'invalid') {
      return {
        status: 'fail',
        message: `The sidecar of ${v.fileName} is malformed: ${v.sidecar.problem}; expected one line "<64 hex>  ${v.fileName}".`,
        evidence,
      };
    }
    if (v.sidecar.sha256 !== v.sha256) {
      return { status: 'fail', message: `The SHA-256 of ${v.fileName} is ${v.sha256}, but its sidecar says ${v.sidecar.sha256}.`, evidence };
    }
    return { status: 'pass', message: `${v.fileName} (${v.sizeBytes} bytes) matches its sidecar: SHA-256 ${v.sha256}.`, evidence };
  },
});
