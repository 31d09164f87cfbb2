/**
 * Where Azure keeps data, as plain tables: the regions inside the European Economic Area (HDS
 * requires French health data to stay in the EEA) and the region pairs that receive geo-redundant
 * copies. Both change slowly and are public; the allowed set is configurable (azure.allowedRegions)
 * and a pair can be overridden per server (azure.postgres.pairedRegion), so a stale table never
 * forces a wrong verdict: an unknown pair is reported as "unknown", never as compliant.
 */

/** Azure regions located in EEA member states (EU + Iceland, Liechtenstein, Norway). Switzerland and the UK are not in the EEA. */
export const EEA_AZURE_REGIONS: readonly string[] = [
  'austriaeast',
  'belgiumcentral',
  'denmarkeast',
  'francecentral',
  'francesouth',
  'germanynorth',
  'germanywestcentral',
  'italynorth',
  'northeurope',
  'norwayeast',
  'norwaywest',
  'polandcentral',
  'spaincentral',
  'swedencentral',
  'swedensouth',
  'westeurope',
];

/**
 * Azure's published region pairs (geo-redundant backups of a Flexible Server and GRS storage go to the pair).
 * Symmetric entries are generated below. Regions without a pair are absent on purpose.
 */
const PAIRS: ReadonlyArray<[string, string]> = [
  ['francecentral', 'francesouth'],
  ['germanywestcentral', 'germanynorth'],
  ['northeurope', 'westeurope'],
  ['norwayeast', 'norwaywest'],
  ['swedencentral', 'swedensouth'],
  ['switzerlandnorth', 'switzerlandwest'],
  ['uksouth', 'ukwest'],
  ['eastus', 'westus'],
  ['eastus2', 'centralus'],
  ['northcentralus', 'southcentralus'],
  ['westus2', 'westcentralus'],
  ['westus3', 'eastus'],
  ['canadacentral', 'canadaeast'],
  ['brazilsouth', 'southcentralus'],
  ['australiaeast', 'australiasoutheast'],
  ['japaneast', 'japanwest'],
  ['koreacentral', 'koreasouth'],
  ['centralindia', 'southindia'],
  ['eastasia', 'southeastasia'],
  ['uaenorth', 'uaecentral'],
  ['southafricanorth', 'southafricawest'],
];

const PAIR_OF = new Map<string, string>();
for (const [a, b] of PAIRS) {
  // westus3 → eastus is one-way (eastus pairs with westus); keep the first mapping for each region.
  if (!PAIR_OF.has(a)) PAIR_OF.set(a, b);
  if (!PAIR_OF.has(b)) PAIR_OF.set(b, a);
}

/** "France Central", "francecentral" and "FRANCECENTRAL" are the same region to Azure. */
export function normalizeRegion(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

/** The region receiving geo-redundant copies, or undefined when Azure publishes no pair for it. */
export function pairedRegion(region: string): string | undefined {
  return PAIR_OF.get(normalizeRegion(region));
}

export function isAllowedRegion(region: string, allowed: readonly string[]): boolean {
  const wanted = normalizeRegion(region);
  return allowed.some((r) => normalizeRegion(r) === wanted);
}
