/**
 * The fleet runner's own sentences (run/fleet-check.ts), in both languages. Here, beside the checks' catalogs and
 * imported by the registry, so that `report render --lang fr` (which loads the checks, not the runner) renders them.
 */
import { messages, text } from './messages.js';

export const fleetTexts = messages('fleet', {
  noneInScope: text<{ kind: string; tag: string }>(
    (p) => `Not evaluated: azure.discover found no ${p.kind === 'postgres' ? 'Flexible Server' : 'storage account'} in scope (tag ${p.tag}).`,
    (p) =>
      `Non évalué : azure.discover n’a trouvé aucun ${p.kind === 'postgres' ? 'serveur flexible' : 'compte de stockage'} dans le périmètre (étiquette ${p.tag}).`,
  ),
  discoveryFailed: text<{ reason: string }>(
    (p) => `Not evaluated: the fleet could not be discovered (Azure Resource Graph): ${p.reason}.`.replace(/\.\.$/, '.'),
    (p) => `Non évalué : la flotte n’a pas pu être découverte (Azure Resource Graph) : ${p.reason}.`.replace(/\.\.$/, '.'),
  ),
});
