import { archiveSubject } from '../../archive/archive-subject.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

const t = messages('archive-checksum', {
  missing: text<{ file: string }>(
    (p) => `${p.file} has no sidecar ${p.file}.sha256; expected one in sha256sum format.`,
    (p) => `${p.file} n’a pas de fichier d’empreinte ${p.file}.sha256 ; un fichier au format sha256sum est attendu.`,
  ),
  // The problem is the sidecar parser's (English in both languages).
  invalid: text<{ file: string; problem: string }>(
    (p) => `The sidecar of ${p.file} is malformed: ${p.problem}; expected one line "<64 hex>  ${p.file}".`,
    (p) => `Le fichier d’empreinte de ${p.file} est mal formé : ${p.problem} ; une ligne « <64 hex>  ${p.file} » est attendue.`,
  ),
  mismatch: text<{ file: string; actual: string; expected: string }>(
    (p) => `The SHA-256 of ${p.file} is ${p.actual}, but its sidecar says ${p.expected}.`,
    (p) => `Le SHA-256 de ${p.file} est ${p.actual}, mais son fichier d’empreinte indique ${p.expected}.`,
  ),
  match: text<{ file: string; size: number; sha256: string }>(
    (p) => `${p.file} (${p.size} bytes) matches its sidecar: SHA-256 ${p.sha256}.`,
    (p) => `${p.file} (${p.size} octets) correspond à son fichier d’empreinte : SHA-256 ${p.sha256}.`,
  ),
});

// A.8.13 (the archive restored is the one written) and A.8.24 (a cryptographic hash proves it).

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
  fr: {
    title: 'L’archive correspond à son fichier d’empreinte SHA-256',
    description:
      'Lit strictement le fichier `<archive>.sha256` (une ligne au format sha256sum, texte, binaire ou --tag, qui nomme l’archive par son nom de base ; ' +
      'sans BOM, CRLF ni ligne en trop) et compare son empreinte au SHA-256 de l’archive, calculé pendant l’unique lecture.',
    risk:
      'Sans empreinte concordante, personne ne peut montrer que l’archive restaurée est bien celle qui a été écrite : une corruption silencieuse ou une ' +
      'falsification passe inaperçue.',
    remediation:
      'Régénérer le fichier d’empreinte là où l’archive est écrite (`sha256sum NAME.tar.gz > NAME.tar.gz.sha256`), et traiter une discordance comme une ' +
      'sauvegarde corrompue : restaurer depuis une autre sauvegarde et chercher ce qui a modifié le fichier.',
  },
  controls: [CONTROLS.backup, CONTROLS.cryptography],
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
      return { status: 'fail', message: t.missing({ file: v.fileName }), evidence };
    }
    if (v.sidecar.state === 'invalid') {
      return { status: 'fail', message: t.invalid({ file: v.fileName, problem: String(v.sidecar.problem) }), evidence };
    }
    if (v.sidecar.sha256 !== v.sha256) {
      return { status: 'fail', message: t.mismatch({ file: v.fileName, actual: v.sha256, expected: String(v.sidecar.sha256) }), evidence };
    }
    return { status: 'pass', message: t.match({ file: v.fileName, size: v.sizeBytes, sha256: v.sha256 }), evidence };
  },
});
