import { checkArchiveSignature } from '../../archive/archive-signature.js';
import { archiveSubject } from '../../archive/archive-subject.js';
import { loadPublicKey } from '../../evidence/signing.js';
import type { JsonValue } from '../../vocabulary.js';
import { asParam, fromParam, messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

const t = messages('archive-signature', {
  noKey: text<Record<string, never>>(
    () => 'No public key configured (archives.publicKey or verify --public-key): the archive signature is not checked.',
    () => 'Aucune clé publique configurée (archives.publicKey ou verify --public-key) : la signature de l’archive n’est pas vérifiée.',
  ),
  missing: text<{ file: string; sig: string }>(
    (p) => `${p.file} has no signature ${p.sig}, but a public key is configured: every archive must be signed.`,
    (p) => `${p.file} n’a pas de signature ${p.sig}, alors qu’une clé publique est configurée : toute archive doit être signée.`,
  ),
  // The problem is the parser's (English in both languages).
  invalid: text<{ sig: string; problem: string }>(
    (p) => `The signature file ${p.sig} is malformed: ${p.problem}.`,
    (p) => `Le fichier de signature ${p.sig} est mal formé : ${p.problem}.`,
  ),
  wrongKey: text<{ sig: string; keyId: string; expected: string }>(
    (p) => `${p.sig} is signed with key id ${p.keyId}, not with the configured public key (key id ${p.expected}).`,
    (p) => `${p.sig} est signé avec la clé d’identifiant ${p.keyId}, et non avec la clé publique configurée (identifiant ${p.expected}).`,
  ),
  badSignature: text<{ sig: string; keyId: string }>(
    (p) => `The signature in ${p.sig} does not verify with the public key ${p.keyId}: the file was altered or forged.`,
    (p) => `La signature de ${p.sig} n’est pas valide pour la clé publique ${p.keyId} : le fichier a été modifié ou contrefait.`,
  ),
  mismatchArchive: text<{ sig: string; signed: string; file: string }>(
    (p) => `${p.sig} signs the archive ${p.signed}, not ${p.file}.`,
    (p) => `${p.sig} signe l’archive ${p.signed}, et non ${p.file}.`,
  ),
  mismatchSha256: text<{ file: string; signed: string; actual: string }>(
    (p) => `The SHA-256 of ${p.file} is ${p.actual}, but the signed one is ${p.signed}: the archive is not the one that was signed.`,
    (p) => `Le SHA-256 de ${p.file} est ${p.actual}, mais celui qui a été signé est ${p.signed} : l’archive n’est pas celle qui a été signée.`,
  ),
  mismatchMetadata: text<{ file: string; signed: string; actual: string }>(
    (p) => `metadata.json in ${p.file} has SHA-256 ${p.actual}, but the signed one is ${p.signed}: the manifest was changed after signing.`,
    (p) =>
      `Le metadata.json de ${p.file} a pour SHA-256 ${p.actual}, mais celui qui a été signé est ${p.signed} : le manifeste a été modifié après la signature.`,
  ),
  // Several signed values differ: each one's sentence, in order (a changed manifest changes the archive's hash too).
  several: text<{ parts: JsonValue[] }>(
    (p) => p.parts.map((part) => fromParam(part, 'en')).join(' '),
    (p) => p.parts.map((part) => fromParam(part, 'fr')).join(' '),
  ),
  ok: text<{ file: string; keyId: string; sha256: string }>(
    (p) => `${p.file} is signed with key id ${p.keyId}: the signature covers its SHA-256 ${p.sha256} and its metadata.json, as read from the archive.`,
    (p) =>
      `${p.file} est signé avec la clé d’identifiant ${p.keyId} : la signature couvre son SHA-256 ${p.sha256} et son metadata.json, tels que lus dans l’archive.`,
  ),
});

// A.8.13 (the archive restored is the one the backup wrote) and A.8.24 (a signature, not a hash anyone can recompute, proves it).

export const archiveSignature = defineCheck({
  id: 'archive-signature',
  title: 'The archive carries a valid Ed25519 signature by the configured key',
  severity: 'high',
  description:
    'With a public key configured (`archives.publicKey` or `verify --public-key`), reads `<archive>.sig` strictly and verifies its Ed25519 ' +
    'signature; the signed archive SHA-256 and metadata.json SHA-256 are compared with the ones computed while reading the archive, ' +
    'never with the sidecar. Skipped without a public key.',
  risk:
    'A sidecar is a hash anyone can recompute: an archive whose manifest or dumps were changed, with its sidecar regenerated, still passes ' +
    'archive-checksum. Only a signature by a key the attacker does not hold shows that the archive is the one the backup wrote.',
  remediation:
    'Make a key pair (`openssl genpkey -algorithm ed25519 -out backup-signing.pem` and ' +
    '`openssl pkey -in backup-signing.pem -pubout -out backup-signing.pub.pem`), set `selfHosted.signingKey` where `restorecheck backup` ' +
    'runs and `archives.publicKey` (or `--public-key`) where archives are verified. Treat a bad signature as a tampered backup: restore from another one.',
  fr: {
    title: 'L’archive porte une signature Ed25519 valide de la clé configurée',
    description:
      'Avec une clé publique configurée (`archives.publicKey` ou `verify --public-key`), lit strictement `<archive>.sig` et vérifie sa signature ' +
      'Ed25519 ; le SHA-256 signé de l’archive et celui de metadata.json sont comparés à ceux calculés pendant la lecture de l’archive, jamais ' +
      'au fichier d’empreinte. Ignoré sans clé publique.',
    risk:
      'Un fichier d’empreinte est un hachage que tout le monde peut recalculer : une archive dont le manifeste ou les dumps ont été modifiés, ' +
      'avec son fichier d’empreinte régénéré, passe encore archive-checksum. Seule une signature par une clé que l’attaquant ne détient pas montre ' +
      'que l’archive est celle que la sauvegarde a écrite.',
    remediation:
      'Créer une paire de clés (`openssl genpkey -algorithm ed25519 -out backup-signing.pem` et ' +
      '`openssl pkey -in backup-signing.pem -pubout -out backup-signing.pub.pem`), renseigner `selfHosted.signingKey` là où `restorecheck backup` ' +
      's’exécute et `archives.publicKey` (ou `--public-key`) là où les archives sont vérifiées. Traiter une signature invalide comme une sauvegarde ' +
      'falsifiée : restaurer depuis une autre sauvegarde.',
  },
  controls: [CONTROLS.backup, CONTROLS.cryptography],
  needs: ['archive'],
  command: 'verify',
  notApplicable: (config) => (config.archives?.publicKey ? undefined : t.noKey({})),
  async run(ctx) {
    const { verification: v } = await archiveSubject(ctx.archive, ctx.config);
    const keyPath = ctx.config.archives?.publicKey;
    // notApplicable skips the check without a key; this guard only keeps the types honest. The key was already
    // loaded once when the configuration (or --public-key) was read, so a problem here is a file changed since: an error.
    const verifier = loadPublicKey(keyPath ?? '', 'archives.publicKey');
    const sig = v.signature.path;
    const verdict = checkArchiveSignature(v.signature.content, { fileName: v.fileName, actualSha256: v.sha256, metadataSha256: v.metadata.sha256 }, verifier);
    const evidence = {
      archive: v.fileName,
      signatureFile: sig,
      publicKeyId: verifier.keyId,
      actualSha256: v.sha256,
      ...(v.metadata.sha256 ? { actualMetadataSha256: v.metadata.sha256 } : {}),
      compared: 'the signed archive SHA-256 and metadata.json SHA-256 against the ones computed while reading the archive',
    };
    switch (verdict.state) {
      case 'missing':
        return { status: 'fail', message: t.missing({ file: v.fileName, sig }), evidence };
      case 'invalid':
        return { status: 'fail', message: t.invalid({ sig, problem: verdict.problem }), evidence };
      case 'wrong-key':
        return {
          status: 'fail',
          message: t.wrongKey({ sig, keyId: verdict.keyId, expected: verdict.expectedKeyId }),
          evidence: { ...evidence, keyId: verdict.keyId },
        };
      case 'bad-signature':
        return { status: 'fail', message: t.badSignature({ sig, keyId: verdict.keyId }), evidence: { ...evidence, keyId: verdict.keyId } };
      case 'mismatch': {
        // One sentence per signed value that differs, the manifest first (it explains the archive hash too).
        const parts = verdict.mismatches.map((m) => {
          const actual = m.actual ?? 'absent';
          if (m.field === 'archive') return t.mismatchArchive({ sig, signed: m.signed, file: v.fileName });
          if (m.field === 'metadataSha256') return t.mismatchMetadata({ file: v.fileName, signed: m.signed, actual });
          return t.mismatchSha256({ file: v.fileName, signed: m.signed, actual });
        });
        const evidenceKey = { archive: 'signedArchive', sha256: 'signedSha256', metadataSha256: 'signedMetadataSha256' } as const;
        const signed = Object.fromEntries(verdict.mismatches.map((m) => [evidenceKey[m.field], m.signed]));
        const [first] = parts;
        return {
          status: 'fail',
          message: parts.length === 1 && first ? first : t.several({ parts: parts.map(asParam) }),
          evidence: { ...evidence, keyId: verdict.keyId, ...signed },
        };
      }
      case 'ok':
        return {
          status: 'pass',
          message: t.ok({ file: v.fileName, keyId: verdict.keyId, sha256: v.sha256 }),
          evidence: { ...evidence, keyId: verdict.keyId, signedSha256: verdict.signature.sha256, signedMetadataSha256: verdict.signature.metadataSha256 },
        };
    }
  },
});
