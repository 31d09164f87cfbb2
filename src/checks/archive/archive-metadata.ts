import { archiveSubject } from '../../archive/archive-subject.js';
import { archiveTime, formatOffset, localTimeNote } from '../../archive/archive-time.js';
import { clockSkewMs } from '../../clock-rule.js';
import { CONTROLS, defineCheck, type Finding } from '../types.js';

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
  controls: [CONTROLS.backup, CONTROLS.hdsIntegrity],
  needs: ['archive'],
  command: 'verify',
  async run(ctx): Promise<Finding> {
    const { verification: v } = await archiveSubject(ctx.archive, ctx.config);
    const toleranceMinutes = ctx.config.archives?.metadataToleranceMinutes ?? 60;
    if (!v.metadata.present) {
      return {
        status: 'fail',
        message: `${v.fileName} has no ${v.topFolder}/metadata.json; expected one with environment and timestamp.`,
        evidence: { archive: v.fileName },
      };
    }
    const meta = v.metadata.value;
    if (!meta) {
      return { status: 'fail', message: `${v.fileName}: ${v.metadata.problem}.`, evidence: { archive: v.fileName, problem: v.metadata.problem ?? 'invalid' } };
    }
    const problems: string[] = [];
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
      problems.push('the file name does not follow <name>_<environment>_<YYYYMMDD>_<HHMMSS>.tar.gz, so environment and timestamp cannot be compared');
    } else {
      if (meta.environment !== v.name.environment) problems.push(`its environment is "${meta.environment}" but the file name says "${v.name.environment}"`);
      const skewMinutes = Math.abs(Date.parse(meta.timestamp) - v.name.timestamp.getTime()) / 60_000;
      localOffset = archiveTime(v, toleranceMinutes, ctx.now(), clockSkewMs(ctx.config.limits))?.nameOffsetMinutes;
      if (skewMinutes > toleranceMinutes && localOffset === undefined) {
        problems.push(
          `its timestamp ${meta.timestamp} is ${Math.round(skewMinutes)} minutes from the file name's ${v.name.timestamp.toISOString()} (tolerance ${toleranceMinutes})`,
        );
      }
    }
    for (const [member, claimed] of Object.entries(meta.members ?? {})) {
      const entry = v.entries.find((e) => e.path === member && e.type === 'file');
      if (!entry) {
        problems.push(`it lists ${member}, which the archive does not hold`);
        continue;
      }
      if (entry.sha256 === undefined) continue; // could not be read: archive-integrity says why
      evidence.membersChecked++;
      if (entry.readBytes !== claimed.size) problems.push(`${member} is ${entry.readBytes} bytes, metadata says ${claimed.size}`);
      else if (entry.sha256 !== claimed.sha256.toLowerCase()) problems.push(`${member} has SHA-256 ${entry.sha256}, metadata says ${claimed.sha256}`);
    }
    if (problems.length > 0) {
      return { status: 'fail', message: `${v.fileName}: metadata.json disagrees with the archive: ${problems.join('; ')}.`, evidence };
    }
    const members = evidence.membersChecked > 0 ? `, and the sizes and SHA-256 of its ${evidence.membersChecked} listed members match` : '';
    if (localOffset !== undefined) {
      // A warn, not a fail: the two timestamps agree once the zone is known, so nothing was renamed or mixed up;
      // but the name breaks the format (UTC), and sorting or retention by name is off by the offset (and jumps at
      // daylight-saving changes), which the backup script should fix.
      return {
        status: 'warn',
        message:
          `${v.fileName}: metadata.json is valid, but ${localTimeNote(localOffset)}: its timestamp ${meta.timestamp} agrees with the ` +
          `file name read as ${formatOffset(localOffset)}${members}. Stamp the name with \`date -u +%Y%m%d_%H%M%S\`.`,
        evidence: { ...evidence, nameLooksLikeLocalTime: true, nameOffsetMinutes: localOffset },
      };
    }
    return {
      status: 'pass',
      message: `${v.fileName}: metadata.json is valid; environment ${meta.environment} and timestamp ${meta.timestamp} agree with the file name${members}.`,
      evidence,
    };
  },
});
