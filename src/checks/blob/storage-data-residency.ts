import { EvaluationError } from '../../errors.js';
import { isAllowedRegion, normalizeRegion } from '../../residency/azure-regions.js';
import { known } from '../azure-property.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, storageSlots } from '../types.js';

/** SKUs that keep a copy in a secondary region (GRS, RA-GRS, GZRS, RA-GZRS). */
const GEO_SKU = /GRS|GZRS/i;

type Place = { what: 'primary' | 'secondary'; region: string };
const WHAT_FR = { primary: 'emplacement principal', secondary: 'emplacement secondaire' } as const;

const t = messages('storage-data-residency', {
  outside: text<{ account: string; outside: Place[]; allowed: string[] }>(
    (p) =>
      `Storage account ${p.account}: ${p.outside.map((o) => `${o.what} location ${o.region}`).join(', ')} outside the allowed regions (${p.allowed.join(', ')}).`,
    (p) =>
      `Compte de stockage ${p.account} : ${p.outside.map((o) => `${WHAT_FR[o.what]} ${o.region}`).join(', ')} hors des régions autorisées (${p.allowed.join(', ')}).`,
  ),
  within: text<{ account: string; places: Place[] }>(
    (p) => `Storage account ${p.account}: ${p.places.map((o) => `${o.what} in ${o.region}`).join(', ')}, within the allowed regions.`,
    (p) => `Compte de stockage ${p.account} : ${p.places.map((o) => `${WHAT_FR[o.what]} en ${o.region}`).join(', ')}, dans les régions autorisées.`,
  ),
  // Microsoft, "Change how a storage account is replicated": moving between a geo and a non-geo setting of the same
  // zonal kind (GRS ↔ LRS, GZRS ↔ ZRS) is a change of the SKU; LRS ↔ ZRS needs a conversion. So the fix keeps the zonal kind.
  fixSecondary: text<{ resourceGroup: string; account: string; secondary: string; sku: string }>(
    (p) =>
      `The geo-replicated copy lives in ${p.secondary}, outside the allowed regions: keep the data in the primary region (\`az storage account update ` +
      `-g ${p.resourceGroup} -n ${p.account} --sku ${p.sku}\`), or move the documents to an account whose paired region is allowed.`,
    (p) =>
      `La copie géo-répliquée se trouve en ${p.secondary}, hors des régions autorisées : garder les données dans la région principale (\`az storage account update ` +
      `-g ${p.resourceGroup} -n ${p.account} --sku ${p.sku}\`), ou déplacer les documents vers un compte dont la région appairée est autorisée.`,
  ),
  fixPrimary: text<{ resourceGroup: string; account: string; primary: string }>(
    (p) =>
      `The account itself is in ${p.primary}, and an account cannot change region: create one in an allowed region (\`az storage account create -g ` +
      `${p.resourceGroup} -n <new-account> --location francecentral --sku Standard_GZRS\`), copy the documents (\`azcopy copy\`), point the application at it, ` +
      `then delete ${p.account}.`,
    (p) =>
      `Le compte lui-même est en ${p.primary}, et un compte ne peut pas changer de région : en créer un dans une région autorisée (\`az storage account create -g ` +
      `${p.resourceGroup} -n <new-account> --location francecentral --sku Standard_GZRS\`), y copier les documents (\`azcopy copy\`), y faire pointer l’application, ` +
      `puis supprimer ${p.account}.`,
  ),
});

// A.5.34 (health data kept where the law allows) and HDS v2 EXI 28 (health data stored in the EEA, geo-replicated copies included).
export const storageDataResidency = defineCheck({
  id: 'storage-data-residency',
  title: "The storage account's primary and secondary locations are in the allowed regions",
  severity: 'critical',
  description:
    'Reads primaryLocation, secondaryLocation and the replication SKU of the storage account from Resource Manager and checks them against azure.allowedRegions (default: the EEA regions).',
  risk: 'HDS requires health data, geo-replicated copies included, to stay in the European Economic Area.',
  remediation:
    'Keep the data in allowed regions: change replication to one that stays in the region (`az storage account update -g <resource-group> -n <account> --sku ' +
    'Standard_LRS` for GRS, `Standard_ZRS` for GZRS), or move the documents to an account created in an allowed region (`az storage account create -g ' +
    '<resource-group> -n <new-account> --location francecentral --sku Standard_GZRS`, then `azcopy copy`).',
  fr: {
    title: 'Les emplacements principal et secondaire du compte de stockage sont dans les régions autorisées',
    description:
      'Lit primaryLocation, secondaryLocation et la SKU de réplication du compte de stockage dans Resource Manager et les compare à azure.allowedRegions ' +
      '(par défaut : les régions de l’EEE).',
    risk: 'Le référentiel HDS exige que les données de santé, copies géo-répliquées comprises, restent dans l’Espace économique européen.',
    remediation:
      'Garder les données dans les régions autorisées : passer à une réplication qui reste dans la région (`az storage account update -g <resource-group> -n <account> --sku ' +
      'Standard_LRS` pour GRS, `Standard_ZRS` pour GZRS), ou déplacer les documents vers un compte créé dans une région autorisée (`az storage account create -g ' +
      '<resource-group> -n <new-account> --location francecentral --sku Standard_GZRS`, puis `azcopy copy`).',
  },
  slots: storageSlots,
  controls: [CONTROLS.privacy, CONTROLS.hdsLocation],
  needs: ['azureStorage'],
  command: 'check',
  async run(ctx) {
    const azure = ctx.config.azure;
    const { resourceGroup, account } = azure.storage;
    const info = await ctx.gateways.azureStorage().getAccount(resourceGroup, account);
    const primary = normalizeRegion(known(info.primaryLocation ?? info.location, `the primary location of storage account ${account}`));
    const places: Place[] = [{ what: 'primary', region: primary }];
    let secondary: string | null = null;
    if (info.secondaryLocation) {
      secondary = normalizeRegion(info.secondaryLocation);
      places.push({ what: 'secondary', region: secondary });
    } else if (!info.skuName || GEO_SKU.test(info.skuName)) {
      // A geo-replicated account always has a secondary; without it (or without the SKU) we cannot tell where the copy lives.
      throw new EvaluationError(
        'invalid-response',
        `the secondary location of storage account ${account} (replication ${info.skuName ?? 'unknown'}) is unknown: Azure did not return it`,
        `check it with \`az storage account show -g ${resourceGroup} -n ${account} --query "{sku:sku.name, primary:primaryLocation, secondary:secondaryLocation}"\``,
      );
    }
    const outside = places.filter((p) => !isAllowedRegion(p.region, azure.allowedRegions));
    const evidence = { primaryLocation: primary, secondaryLocation: secondary, sku: info.skuName ?? null, allowedRegions: azure.allowedRegions };
    if (outside.length > 0) {
      const primaryOutside = outside.some((p) => p.what === 'primary');
      const remediation = primaryOutside
        ? t.fixPrimary({ resourceGroup, account, primary })
        : t.fixSecondary({ resourceGroup, account, secondary: secondary ?? '', sku: /GZRS/i.test(info.skuName ?? '') ? 'Standard_ZRS' : 'Standard_LRS' });
      return { status: 'fail', message: t.outside({ account, outside, allowed: azure.allowedRegions }), evidence, remediation };
    }
    return { status: 'pass', message: t.within({ account, places }), evidence };
  },
});
