import { EvaluationError } from '../../errors.js';
import { isAllowedRegion, normalizeRegion, pairedRegion } from '../../residency/azure-regions.js';
import { known } from '../azure-property.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, postgresSlots } from '../types.js';

type Place = { what: 'server' | 'backups'; region: string };

const WHAT_EN = { server: 'server', backups: 'geo-redundant backups' } as const;
const WHAT_FR = { server: 'serveur', backups: 'sauvegardes géo-redondantes' } as const;
const placesEn = (places: Place[]) => places.map((p) => `${WHAT_EN[p.what]} in ${p.region}`).join(', ');
const placesFr = (places: Place[]) => places.map((p) => `${WHAT_FR[p.what]} en ${p.region}`).join(', ');

const t = messages('pgflex-data-residency', {
  outside: text<{ server: string; outside: Place[]; allowed: string[] }>(
    (p) => `Flexible Server ${p.server}: ${placesEn(p.outside)}, outside the allowed regions (${p.allowed.join(', ')}).`,
    (p) => `Flexible Server ${p.server} : ${placesFr(p.outside)}, hors des régions autorisées (${p.allowed.join(', ')}).`,
  ),
  within: text<{ server: string; places: Place[] }>(
    (p) => `Flexible Server ${p.server}: ${placesEn(p.places)}, all within the allowed regions.`,
    (p) => `Flexible Server ${p.server} : ${placesFr(p.places)}, toutes dans les régions autorisées.`,
  ),
  // The fixes, one per observed state. A point-in-time restore stays in the server's region and a geo-restore exists only
  // for a server created with geo-redundant backup (to its paired region): Microsoft, "Backup and restore in Azure
  // Database for PostgreSQL flexible server" and CreateMode.GeoRestore ("only supported on existing servers that were
  // created with geographically redundant backups enabled"). Without it, the way to another region is a read replica
  // there, promoted to a standalone server (concepts-read-replicas-promote), or a dump and restore.
  fixGeoRestore: text<{ resourceGroup: string; server: string; target: string }>(
    (p) =>
      `Move the server to an allowed region: geo-restore it into its paired region ${p.target} (\`az postgres flexible-server geo-restore -g ${p.resourceGroup} ` +
      `-n <new-server> --source-server ${p.server} --location ${p.target}\`), move the application to the new server, then delete ${p.server}.`,
    (p) =>
      `Déplacer le serveur dans une région autorisée : le géo-restaurer dans sa région appairée ${p.target} (\`az postgres flexible-server geo-restore -g ${p.resourceGroup} ` +
      `-n <new-server> --source-server ${p.server} --location ${p.target}\`), basculer l’application sur le nouveau serveur, puis supprimer ${p.server}.`,
  ),
  fixReplica: text<{ resourceGroup: string; server: string; target: string; geo: string }>(
    (p) =>
      `Move the server to an allowed region. A point-in-time restore stays in ${p.server}'s region and a geo-restore needs geo-redundant backup ` +
      `(${p.geo} here, and only to the paired region), so neither can do it: create a read replica in an allowed region ` +
      `(\`az postgres flexible-server replica create -g ${p.resourceGroup} --source-server ${p.server} --replica-name <new-server> --location ${p.target}\`), ` +
      `promote it to a standalone server (\`az postgres flexible-server replica promote -g ${p.resourceGroup} -n <new-server> --promote-mode standalone\`), ` +
      `move the application to it and delete ${p.server}; or dump and restore (\`pg_dump\`/\`pg_restore\`) into a new server created in ${p.target}.`,
    (p) =>
      `Déplacer le serveur dans une région autorisée. Une restauration à un point dans le temps reste dans la région de ${p.server} et une géo-restauration exige ` +
      `la sauvegarde géo-redondante (${p.geo} ici, et seulement vers la région appairée) : ni l’une ni l’autre ne convient. Créer un réplica en lecture dans une région autorisée ` +
      `(\`az postgres flexible-server replica create -g ${p.resourceGroup} --source-server ${p.server} --replica-name <new-server> --location ${p.target}\`), ` +
      `le promouvoir en serveur autonome (\`az postgres flexible-server replica promote -g ${p.resourceGroup} -n <new-server> --promote-mode standalone\`), ` +
      `y basculer l’application et supprimer ${p.server} ; ou faire un export puis une restauration (\`pg_dump\`/\`pg_restore\`) dans un nouveau serveur créé en ${p.target}.`,
  ),
  fixBackupPair: text<{ resourceGroup: string; server: string; pair: string }>(
    (p) =>
      `The geo-redundant backups go to ${p.pair}, outside the allowed regions, and geo-redundancy is fixed when a server is created: restore ${p.server} ` +
      `into a new server without geo-redundant backup (\`az postgres flexible-server restore -g ${p.resourceGroup} -n <new-server> --source-server ${p.server} ` +
      '--geo-redundant-backup Disabled`), or move it with a read replica to a region whose pair is allowed (`az postgres flexible-server replica create`, then ' +
      '`replica promote`); set azure.postgres.pairedRegion if Azure pairs this region elsewhere.',
    (p) =>
      `Les sauvegardes géo-redondantes partent en ${p.pair}, hors des régions autorisées, et la géo-redondance se choisit à la création du serveur : restaurer ${p.server} ` +
      `dans un nouveau serveur sans sauvegarde géo-redondante (\`az postgres flexible-server restore -g ${p.resourceGroup} -n <new-server> --source-server ${p.server} ` +
      '--geo-redundant-backup Disabled`), ou le déplacer par un réplica en lecture vers une région dont la région appairée est autorisée (`az postgres flexible-server replica create`, puis ' +
      '`replica promote`) ; renseigner azure.postgres.pairedRegion si Azure appaire cette région ailleurs.',
  ),
});

/** Where to move: France Central when allowed (the users are French), else the first allowed region. */
function targetRegion(allowed: readonly string[]): string {
  return allowed.some((r) => normalizeRegion(r) === 'francecentral') ? 'francecentral' : normalizeRegion(allowed[0] ?? 'francecentral');
}

// A.5.34 (privacy and protection of PII: health data kept where the law allows) and HDS v2 EXI 28 (health data stored in the EEA).
export const pgflexDataResidency = defineCheck({
  id: 'pgflex-data-residency',
  title: 'The Flexible Server and its geo-redundant backups stay in the allowed regions',
  severity: 'critical',
  description:
    "Checks the server's region and, when geo-redundant backup is on, the paired region that receives the backups (Azure's region pairs, or " +
    'azure.postgres.pairedRegion) against azure.allowedRegions (default: the EEA regions).',
  risk: 'HDS requires health data, backups included, to stay in the European Economic Area; a copy outside it is a compliance breach.',
  remediation:
    'Move the server to an allowed region. With geo-redundant backup, geo-restore it into its paired region (`az postgres flexible-server geo-restore -g ' +
    '<resource-group> -n <new-server> --source-server <server> --location <paired-region>`); without it, create a read replica in an allowed region ' +
    '(`az postgres flexible-server replica create -g <resource-group> --source-server <server> --replica-name <new-server> --location francecentral`) and ' +
    'promote it (`az postgres flexible-server replica promote -g <resource-group> -n <new-server> --promote-mode standalone`). A failed check names the fix for the observed state.',
  fr: {
    title: 'Le Flexible Server et ses sauvegardes géo-redondantes restent dans les régions autorisées',
    description:
      'Compare la région du serveur et, quand la sauvegarde géo-redondante est activée, la région appairée qui reçoit les sauvegardes (paires de régions d’Azure, ' +
      'ou azure.postgres.pairedRegion) à azure.allowedRegions (par défaut : les régions de l’EEE).',
    risk: 'Le référentiel HDS exige que les données de santé, sauvegardes comprises, restent dans l’Espace économique européen ; une copie hors de l’EEE est une non-conformité.',
    remediation:
      'Déplacer le serveur dans une région autorisée. Avec la sauvegarde géo-redondante, le géo-restaurer dans sa région appairée (`az postgres flexible-server geo-restore -g ' +
      '<resource-group> -n <new-server> --source-server <server> --location <paired-region>`) ; sans elle, créer un réplica en lecture dans une région autorisée ' +
      '(`az postgres flexible-server replica create -g <resource-group> --source-server <server> --replica-name <new-server> --location francecentral`) et ' +
      'le promouvoir (`az postgres flexible-server replica promote -g <resource-group> -n <new-server> --promote-mode standalone`). Un échec indique la correction adaptée à l’état observé.',
  },
  slots: postgresSlots,
  controls: [CONTROLS.privacy, CONTROLS.hdsLocation],
  needs: ['azurePostgres'],
  command: 'check',
  async run(ctx) {
    const azure = ctx.config.azure;
    const { resourceGroup, server, pairedRegion: configuredPair } = azure.postgres;
    const found = await ctx.gateways.azurePostgres().getServer(resourceGroup, server);
    const location = normalizeRegion(known(found.location, `the region of Flexible Server ${server}`));
    const geo = known(found.geoRedundantBackup, `geoRedundantBackup of Flexible Server ${server}`);
    const places: Place[] = [{ what: 'server', region: location }];
    let backupRegion: string | null = null;
    if (geo === 'Enabled') {
      const pair = configuredPair ? normalizeRegion(configuredPair) : pairedRegion(location);
      if (!pair) {
        throw new EvaluationError(
          'invalid-response',
          `the region receiving geo-redundant backups of Flexible Server ${server} (in ${location}) is unknown`,
          'Azure publishes no pair for this region: set azure.postgres.pairedRegion to the region that holds the backups',
        );
      }
      backupRegion = pair;
      places.push({ what: 'backups', region: pair });
    }
    const outside = places.filter((p) => !isAllowedRegion(p.region, azure.allowedRegions));
    const evidence = { location, geoRedundantBackup: geo, backupRegion, allowedRegions: azure.allowedRegions };
    if (outside.length > 0) {
      const serverOutside = outside.some((p) => p.what === 'server');
      const remediation = !serverOutside
        ? t.fixBackupPair({ resourceGroup, server, pair: backupRegion ?? '' })
        : backupRegion && isAllowedRegion(backupRegion, azure.allowedRegions)
          ? t.fixGeoRestore({ resourceGroup, server, target: backupRegion })
          : t.fixReplica({ resourceGroup, server, target: targetRegion(azure.allowedRegions), geo });
      return { status: 'fail', message: t.outside({ server, outside, allowed: azure.allowedRegions }), evidence, remediation };
    }
    return { status: 'pass', message: t.within({ server, places }), evidence };
  },
});
