import { archiveSubject, boundedList } from '../../archive/archive-subject.js';
import { type Bounded, INCOMPLETE_EN, INCOMPLETE_FR, bounded, boundedEn, boundedFr } from '../archive-texts.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

/** What is wrong with the members, as plain JSON (the unsafe reasons are the verifier's, English in both languages). */
type Problems = {
  missing: Bounded<string>;
  unsafe: Bounded<string>;
  duplicates: Bounded<{ path: string; times: number }>;
  unexpected: Bounded<{ name: string; outside: string | null }>;
};

function problemsEn(p: Problems): string[] {
  const list: string[] = [];
  if (p.missing.count > 0) list.push(`missing ${boundedEn(p.missing)}`);
  if (p.unsafe.count > 0) list.push(`unsafe entries ${boundedEn(p.unsafe)}`);
  if (p.duplicates.count > 0)
    list.push(`duplicate entries ${boundedEn({ items: p.duplicates.items.map((d) => `${d.path} (${d.times} times)`), count: p.duplicates.count })}`);
  if (p.unexpected.count > 0) {
    const items = p.unexpected.items.map((u) => (u.outside === null ? u.name : `${u.name} (outside ${u.outside}/)`));
    list.push(`unexpected entries ${boundedEn({ items, count: p.unexpected.count })}`);
  }
  return list;
}

function problemsFr(p: Problems): string[] {
  const list: string[] = [];
  if (p.missing.count > 0) list.push(`membres absents : ${boundedFr(p.missing)}`);
  if (p.unsafe.count > 0) list.push(`entrées dangereuses : ${boundedFr(p.unsafe)}`);
  if (p.duplicates.count > 0)
    list.push(`entrées en double : ${boundedFr({ items: p.duplicates.items.map((d) => `${d.path} (${d.times} fois)`), count: p.duplicates.count })}`);
  if (p.unexpected.count > 0) {
    const items = p.unexpected.items.map((u) => (u.outside === null ? u.name : `${u.name} (hors de ${u.outside}/)`));
    list.push(`entrées inattendues : ${boundedFr({ items, count: p.unexpected.count })}`);
  }
  return list;
}

const t = messages('archive-members', {
  wrong: text<{ file: string; environment: string; problems: Problems; incomplete: boolean; top: string }>(
    (p) =>
      `${p.file} (${p.environment}): ${problemsEn(p.problems).join('; ')}${p.incomplete ? INCOMPLETE_EN : ''}; expected exactly the required members under ${p.top}/.`,
    (p) =>
      `${p.file} (${p.environment}) : ${problemsFr(p.problems).join(' ; ')}${p.incomplete ? INCOMPLETE_FR : ''} ; exactement les membres requis sous ${p.top}/ sont attendus.`,
  ),
  unfinished: text<{ file: string }>(
    (p) => `${p.file}: every required member was seen, but the archive could not be read to its end, so the member list is not proven complete.`,
    (p) =>
      `${p.file} : tous les membres requis ont été vus, mais l’archive n’a pas pu être lue jusqu’au bout : la liste des membres n’est pas prouvée complète.`,
  ),
  complete: text<{ file: string; environment: string; count: number; top: string }>(
    (p) => `${p.file} (${p.environment}) holds ${p.count} members under ${p.top}/: every required one, nothing unexpected, duplicated or unsafe.`,
    (p) => `${p.file} (${p.environment}) contient ${p.count} membres sous ${p.top}/ : tous les membres requis, rien d’inattendu, en double ni de dangereux.`,
  ),
});

/** Directories an expected member lives in (`mongodb` for `mongodb/dump.archive.gz`), and the top folder (''). */
function allowedDirectories(members: string[]): Set<string> {
  const dirs = new Set<string>(['']);
  for (const member of members) {
    const parts = member.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return dirs;
}

// A.8.13: the backup holds every data store, and only what the backup procedure writes.
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
  fr: {
    title: 'L’archive contient tous les membres requis et rien d’inattendu ni de dangereux',
    description:
      'Liste les entrées de l’archive : chaque membre requis de l’environnement est présent sous l’unique dossier racine nommé comme le fichier ; aucune ' +
      'entrée inattendue, aucun doublon (après normalisation des chemins), aucune entrée dangereuse (chemin absolu, `..`, lien symbolique ou physique, périphérique, FIFO).',
    risk:
      'Une sauvegarde à laquelle il manque une base de données ne peut pas la restaurer ; des entrées inattendues, en double ou dangereuses signifient que ' +
      'l’archive n’a pas été produite par la procédure de sauvegarde et pourraient écraser des fichiers hors du répertoire de restauration.',
    remediation:
      'Corriger le script de sauvegarde pour qu’il écrive exactement les membres que le format liste (voir archives.environments.<env>.requiredMembers) avec `tar ' +
      '-czf NAME.tar.gz -C DIR NAME`, sans liens ni chemins absolus.',
  },
  controls: [CONTROLS.backup],
  needs: ['archive'],
  command: 'verify',
  async run(ctx) {
    const { verification: v, policy, environment } = await archiveSubject(ctx.archive, ctx.config);
    const expected = [...policy.requiredMembers, ...policy.optionalMembers];
    const dirs = allowedDirectories(expected);
    const counts = new Map<string, number>();
    const unsafe: string[] = [];
    const unexpected: string[] = [];
    const unexpectedParts: { name: string; outside: string | null }[] = [];
    const files = new Set<string>();
    for (const entry of v.entries) {
      if (entry.root) continue; // `./`, as `tar -C dir .` writes it: the extraction directory itself
      counts.set(entry.normalized, (counts.get(entry.normalized) ?? 0) + 1);
      if (entry.unsafe) unsafe.push(`${entry.rawName} (${entry.unsafe})`);
      else if (entry.outsideTop || entry.path === undefined) {
        unexpected.push(`${entry.rawName} (outside ${v.topFolder}/)`);
        unexpectedParts.push({ name: entry.rawName, outside: v.topFolder });
      } else if (entry.type === 'directory') {
        if (!dirs.has(entry.path)) {
          unexpected.push(entry.rawName);
          unexpectedParts.push({ name: entry.rawName, outside: null });
        }
      } else if (!expected.includes(entry.path)) {
        unexpected.push(entry.rawName);
        unexpectedParts.push({ name: entry.rawName, outside: null });
      } else files.add(entry.path);
    }
    const duplicateParts = [...counts].filter(([, n]) => n > 1).map(([path, times]) => ({ path, times }));
    const duplicates = duplicateParts.map((d) => `${d.path} (${d.times} times)`);
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
    const problems: Problems = {
      missing: bounded(missing),
      unsafe: bounded(unsafe),
      duplicates: bounded(duplicateParts),
      unexpected: bounded(unexpectedParts),
    };
    if (missing.length + unsafe.length + duplicates.length + unexpected.length > 0) {
      return {
        status: 'fail',
        message: t.wrong({ file: v.fileName, environment, problems, incomplete: Boolean(v.container.problem), top: v.topFolder }),
        evidence,
      };
    }
    if (v.container.problem) {
      return { status: 'fail', message: t.unfinished({ file: v.fileName }), evidence };
    }
    return { status: 'pass', message: t.complete({ file: v.fileName, environment, count: files.size, top: v.topFolder }), evidence };
  },
});
