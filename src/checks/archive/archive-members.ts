import { archiveSubject, boundedList, incompleteNote, listed } from '../../archive/archive-subject.js';
import { CONTROLS, defineCheck } from '../types.js';

/** Directories an expected member lives in (`mongodb` for `mongodb/dump.archive.gz`), and the top folder (''). */
function allowedDirectories(members: string[]): Set<string> {
  const dirs = new Set<string>(['']);
  for (const member of members) {
    const parts = member.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return dirs;
}

export const archiveMembers = defineCheck({
  id: 'archive-members',
  title: 'The archive holds every required member and nothing unexpected or unsafe',
  severity: 'high',
  description:
    'Lists the archive’s entries: every required member of the environment is present under the one top folder named like the file; no unexpected ' +
    'entry, no duplicate (after path normalisation), and no unsafe entry (absolute path, `..`, symbolic or hard link, device, FIFO).',
  risk:
    'A backup missing a data store cannot restore it; unexpected, duplicated or unsafe entries mean the archive was not produced by the ' +
    'backup procedure and may overwrite files outside the restore directory.',
  remediation:
    'Fix the backup script so that it writes exactly the members the format lists (see archives.environments.<env>.requiredMembers) with `tar ' +
    '-czf NAME.tar.gz -C DIR NAME`, without links or absolute paths.',
  controls: [CONTROLS.backup, CONTROLS.hdsBackup],
  needs: ['archive'],
  command: 'verify',
  async run(ctx) {
    const { verification: v, policy, environment } = await archiveSubject(ctx.archive, ctx.config);
    const expected = [...policy.requiredMembers, ...policy.optionalMembers];
    const dirs = allowedDirectories(expected);
    const counts = new Map<string, number>();
    const unsafe: string[] = [];
    const unexpected: string[] = [];
    const files = new Set<string>();
    for (const entry of v.entries) {
      if (entry.root) continue; // `./`, as `tar -C dir .` writes it: the extraction directory itself
      counts.set(entry.normalized, (counts.get(entry.normalized) ?? 0) + 1);
      if (entry.unsafe) unsafe.push(`${entry.rawName} (${entry.unsafe})`);
      else if (entry.outsideTop || entry.path === undefined) unexpected.push(`${entry.rawName} (outside ${v.topFolder}/)`);
      else if (entry.type === 'directory') {
        if (!dirs.has(entry.path)) unexpected.push(entry.rawName);
      } else if (!expected.includes(entry.path)) unexpected.push(entry.rawName);
      else files.add(entry.path);
    }
    const duplicates = [...counts].filter(([, n]) => n > 1).map(([path, n]) => `${path} (${n} times)`);
    const missing = policy.requiredMembers.filter((member) => !files.has(member));
    const evidence = {
      archive: v.fileName,
      environment,
      present: [...files].sort(),
      required: policy.requiredMembers,
      optional: policy.optionalMembers,
      missing,
      // Bounded lists (the first EVIDENCE_LIST_MAX) and their full counts: an archive of 100,000 entries must not
      // make a 10 MB report.
      ...boundedList('unexpected', unexpected),
      ...boundedList('duplicates', duplicates),
      ...boundedList('unsafe', unsafe),
    };
    const problems: string[] = [];
    if (missing.length > 0) problems.push(`missing ${listed(missing)}`);
    if (unsafe.length > 0) problems.push(`unsafe entries ${listed(unsafe)}`);
    if (duplicates.length > 0) problems.push(`duplicate entries ${listed(duplicates)}`);
    if (unexpected.length > 0) problems.push(`unexpected entries ${listed(unexpected)}`);
    if (problems.length > 0) {
      return {
        status: 'fail',
        message: `${v.fileName} (${environment}): ${problems.join('; ')}${incompleteNote(v)}; expected exactly the required members under ${v.topFolder}/.`,
        evidence,
      };
    }
    if (v.container.problem) {
      return {
        status: 'fail',
        message: `${v.fileName}: every required member was seen, but the archive could not be read to its end, so the member list is not proven complete.`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `${v.fileName} (${environment}) holds ${files.size} members under ${v.topFolder}/: every required one, nothing unexpected, duplicated or unsafe.`,
      evidence,
    };
  },
});
