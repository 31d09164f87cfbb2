import { archiveSubject } from '../../archive/archive-subject.js';
import { archiveTime, formatOffset, localTimeNote } from '../../archive/archive-time.js';
import { clockSkewMs } from '../../clock-rule.js';
import { localTimeNoteFr } from '../archive-texts.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, type Finding } from '../types.js';

/** How metadata.json disagrees with the archive, as plain JSON. */
type Problem =
  | { kind: 'badName' }
  | { kind: 'environment'; meta: string; name: string }
  | { kind: 'timestamp'; meta: string; minutes: number; name: string; tolerance: number }
  | { kind: 'notHeld'; member: string }
  | { kind: 'size'; member: string; actual: string; claimed: number }
  | { kind: 'sha256'; member: string; actual: string; claimed: string };

function problemEn(p: Problem): string {
  switch (p.kind) {
    case 'badName':
      return 'the file name does not follow <name>_<environment>_<YYYYMMDD>_<HHMMSS>.tar.gz, so environment and timestamp cannot be compared';
    case 'environment':
      return `its environment is "${p.meta}" but the file name says "${p.name}"`;
    case 'timestamp':
      return `its timestamp ${p.meta} is ${p.minutes} minutes from the file name's ${p.name} (tolerance ${p.tolerance})`;
    case 'notHeld':
      return `it lists ${p.member}, which the archive does not hold`;
    case 'size':
      return `${p.member} is ${p.actual} bytes, metadata says ${p.claimed}`;
    case 'sha256':
      return `${p.member} has SHA-256 ${p.actual}, metadata says ${p.claimed}`;
  }
}

function problemFr(p: Problem): string {
  switch (p.kind) {
    case 'badName':
      return 'le nom du fichier ne suit pas <name>_<environment>_<YYYYMMDD>_<HHMMSS>.tar.gz : environnement et horodatage ne peuvent pas être comparés';
    case 'environment':
      return `son environnement est « ${p.meta} » mais le nom du fichier indique « ${p.name} »`;
    case 'timestamp':
      return `son horodatage ${p.meta} est à ${p.minutes} minutes de celui du nom du fichier, ${p.name} (tolérance ${p.tolerance})`;
    case 'notHeld':
      return `il liste ${p.member}, que l’archive ne contient pas`;
    case 'size':
      return `${p.member} fait ${p.actual} octets, les métadonnées indiquent ${p.claimed}`;
    case 'sha256':
      return `${p.member} a le SHA-256 ${p.actual}, les métadonnées indiquent ${p.claimed}`;
  }
}

const membersEn = (n: number) => (n > 0 ? `, and the sizes and SHA-256 of its ${n} listed members match` : '');
const membersFr = (n: number) => (n > 0 ? `, et les tailles et SHA-256 de ses ${n} membres listés correspondent` : '');

const t = messages('archive-metadata', {
  missing: text<{ file: string; top: string }>(
    (p) => `${p.file} has no ${p.top}/metadata.json; expected one with environment and timestamp.`,
    (p) => `${p.file} n’a pas de ${p.top}/metadata.json ; un fichier avec l’environnement et l’horodatage est attendu.`,
  ),
  // The problem is the metadata parser's (English in both languages).
  invalid: text<{ file: string; problem: string }>(
    (p) => `${p.file}: ${p.problem}.`,
    (p) => `${p.file} : ${p.problem}.`,
  ),
  disagrees: text<{ file: string; problems: Problem[] }>(
    (p) => `${p.file}: metadata.json disagrees with the archive: ${p.problems.map(problemEn).join('; ')}.`,
    (p) => `${p.file} : metadata.json ne concorde pas avec l’archive : ${p.problems.map(problemFr).join(' ; ')}.`,
  ),
  localTime: text<{ file: string; offset: number; timestamp: string; members: number }>(
    (p) =>
      `${p.file}: metadata.json is valid, but ${localTimeNote(p.offset)}: its timestamp ${p.timestamp} agrees with the ` +
      `file name read as ${formatOffset(p.offset)}${membersEn(p.members)}. Stamp the name with \`date -u +%Y%m%d_%H%M%S\`.`,
    (p) =>
      `${p.file} : metadata.json est valide, mais ${localTimeNoteFr(p.offset)} : son horodatage ${p.timestamp} concorde avec le ` +
      `nom du fichier lu en ${formatOffset(p.offset)}${membersFr(p.members)}. Horodater le nom avec \`date -u +%Y%m%d_%H%M%S\`.`,
  ),
  agrees: text<{ file: string; environment: string; timestamp: string; members: number }>(
    (p) => `${p.file}: metadata.json is valid; environment ${p.environment} and timestamp ${p.timestamp} agree with the file name${membersEn(p.members)}.`,
    (p) =>
      `${p.file} : metadata.json est valide ; l’environnement ${p.environment} et l’horodatage ${p.timestamp} concordent avec le nom du fichier${membersFr(p.members)}.`,
  ),
});

// A.8.13: the backup is what it claims to be (environment, time, content).

export const archiveMetadata = defineCheck({
  id: 'archive-metadata',
  title: 'metadata.json is valid and agrees with the archive',
  severity: 'high',
  description:
    'Validates metadata.json (environment, ISO 8601 UTC timestamp, optional members, row_counts, alembic_revision), compares its environment ' +
    'and timestamp with the file name, and, when it lists `members`, their sizes and SHA-256 with the members actually read.',
  risk:
    'Metadata that disagrees with its archive (another environment, another day, other files) means the archive was renamed, mixed up or ' +
    'altered: an auditor cannot trust what it claims to contain.',
  remediation:
    'Have the backup script write metadata.json from the same environment and timestamp it uses for the file name, and the members’ sha256/size after writing them.',
  fr: {
    title: 'metadata.json est valide et concorde avec l’archive',
    description:
      'Valide metadata.json (environnement, horodatage UTC ISO 8601, et en option members, row_counts, alembic_revision), compare son environnement et son ' +
      'horodatage au nom du fichier et, quand il liste `members`, leurs tailles et SHA-256 aux membres effectivement lus.',
    risk:
      'Des métadonnées qui ne concordent pas avec leur archive (un autre environnement, un autre jour, d’autres fichiers) signifient que l’archive a été ' +
      'renommée, confondue ou modifiée : un auditeur ne peut pas se fier à ce qu’elle prétend contenir.',
    remediation:
      'Faire écrire metadata.json par le script de sauvegarde à partir du même environnement et du même horodatage que ceux du nom du fichier, et les ' +
      'sha256/taille des membres après leur écriture.',
  },
  controls: [CONTROLS.backup],
  needs: ['archive'],
  command: 'verify',
  async run(ctx): Promise<Finding> {
    const { verification: v } = await archiveSubject(ctx.archive, ctx.config);
    const toleranceMinutes = ctx.config.archives?.metadataToleranceMinutes ?? 60;
    if (!v.metadata.present) {
      return { status: 'fail', message: t.missing({ file: v.fileName, top: v.topFolder }), evidence: { archive: v.fileName } };
    }
    const meta = v.metadata.value;
    if (!meta) {
      return {
        status: 'fail',
        message: t.invalid({ file: v.fileName, problem: String(v.metadata.problem) }),
        evidence: { archive: v.fileName, problem: v.metadata.problem ?? 'invalid' },
      };
    }
    const problems: Problem[] = [];
    let localOffset: number | undefined;
    const evidence = {
      archive: v.fileName,
      environment: meta.environment,
      timestamp: meta.timestamp,
      ...(v.name ? { fileEnvironment: v.name.environment, fileTimestamp: v.name.timestamp.toISOString() } : {}),
      ...(meta.git_commit ? { gitCommit: meta.git_commit } : {}),
      ...(meta.hostname ? { hostname: meta.hostname } : {}),
      membersChecked: 0,
    };
    if (!v.name) {
      problems.push({ kind: 'badName' });
    } else {
      if (meta.environment !== v.name.environment) problems.push({ kind: 'environment', meta: meta.environment, name: v.name.environment });
      const skewMinutes = Math.abs(Date.parse(meta.timestamp) - v.name.timestamp.getTime()) / 60_000;
      localOffset = archiveTime(v, toleranceMinutes, ctx.now(), clockSkewMs(ctx.config.limits))?.nameOffsetMinutes;
      if (skewMinutes > toleranceMinutes && localOffset === undefined) {
        problems.push({
          kind: 'timestamp',
          meta: meta.timestamp,
          minutes: Math.round(skewMinutes),
          name: v.name.timestamp.toISOString(),
          tolerance: toleranceMinutes,
        });
      }
    }
    for (const [member, claimed] of Object.entries(meta.members ?? {})) {
      const entry = v.entries.find((e) => e.path === member && e.type === 'file');
      if (!entry) {
        problems.push({ kind: 'notHeld', member });
        continue;
      }
      if (entry.sha256 === undefined) continue; // could not be read: archive-integrity says why
      evidence.membersChecked++;
      if (entry.readBytes !== claimed.size) problems.push({ kind: 'size', member, actual: String(entry.readBytes), claimed: claimed.size });
      else if (entry.sha256 !== claimed.sha256.toLowerCase()) problems.push({ kind: 'sha256', member, actual: entry.sha256, claimed: claimed.sha256 });
    }
    if (problems.length > 0) {
      return { status: 'fail', message: t.disagrees({ file: v.fileName, problems }), evidence };
    }
    const members = evidence.membersChecked;
    if (localOffset !== undefined) {
      // A warn, not a fail: the two timestamps agree once the zone is known, so nothing was renamed or mixed up;
      // but the name breaks the format (UTC), and sorting or retention by name is off by the offset (and jumps at
      // daylight-saving changes), which the backup script should fix.
      return {
        status: 'warn',
        message: t.localTime({ file: v.fileName, offset: localOffset, timestamp: meta.timestamp, members }),
        evidence: { ...evidence, nameLooksLikeLocalTime: true, nameOffsetMinutes: localOffset },
      };
    }
    return { status: 'pass', message: t.agrees({ file: v.fileName, environment: meta.environment, timestamp: meta.timestamp, members }), evidence };
  },
});
