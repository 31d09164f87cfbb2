import { clockSkewMs, judgeTimestamp } from '../../clock-rule.js';
import { daysBetween, known } from '../azure-property.js';
import { futureText } from '../future-text.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck, postgresSlots } from '../types.js';

const t = messages('pgflex-restore-window', {
  future: futureText((p: { server: string }) => ({
    en: `The earliest restore point of Flexible Server ${p.server}`,
    fr: `Le point de restauration le plus ancien du Flexible Server ${p.server}`,
  })),
  short: text<{ server: string; earliest: string; days: number; required: number }>(
    (p) => `Flexible Server ${p.server} can be restored back to ${p.earliest} (${p.days} days); expected at least ${p.required} days.`,
    (p) => `Le Flexible Server ${p.server} peut être restauré à un point remontant au ${p.earliest} (${p.days} jours) ; au moins ${p.required} jours attendus.`,
  ),
  enough: text<{ server: string; earliest: string; days: number; required: number }>(
    (p) => `Flexible Server ${p.server} can be restored back to ${p.earliest} (${p.days} days, at least ${p.required} required).`,
    (p) => `Le Flexible Server ${p.server} peut être restauré à un point remontant au ${p.earliest} (${p.days} jours, au moins ${p.required} exigés).`,
  ),
});

// A.8.13 (how far back a restore really goes) and A.5.30 (the recovery point the continuity plan counts on).

export const pgflexRestoreWindow = defineCheck({
  id: 'pgflex-restore-window',
  title: 'The point-in-time restore window reaches back the retention period',
  severity: 'high',
  description:
    "Compares the server's earliestRestoreDate (Resource Manager) with now: the window must reach back azure.postgres.minRetentionDays, less azure.postgres.restoreWindowSlackDays.",
  risk: 'A retention setting is only a promise; the earliest restore point shows how far back a restore can really go.',
  remediation:
    'Check the retention (`az postgres flexible-server show -g <resource-group> -n <server> --query backup`) and raise it (`az postgres flexible-server update ' +
    '-g <resource-group> -n <server> --backup-retention <days>`); a recently created or restored server needs time to build its window.',
  fr: {
    title: 'La fenêtre de restauration à un point dans le temps couvre la période de rétention',
    description:
      'Compare le point de restauration le plus ancien du serveur (earliestRestoreDate, Resource Manager) à maintenant : la fenêtre doit remonter à ' +
      'azure.postgres.minRetentionDays, moins azure.postgres.restoreWindowSlackDays.',
    risk: 'Une durée de rétention n’est qu’une promesse ; le point de restauration le plus ancien montre jusqu’où une restauration peut réellement remonter.',
    remediation:
      'Vérifier la rétention (`az postgres flexible-server show -g <resource-group> -n <server> --query backup`) et l’allonger (`az postgres flexible-server update ' +
      '-g <resource-group> -n <server> --backup-retention <days>`) ; un serveur récemment créé ou restauré a besoin de temps pour constituer sa fenêtre.',
  },
  slots: postgresSlots,
  controls: [CONTROLS.backup, CONTROLS.continuity],
  needs: ['azurePostgres'],
  command: 'check',
  async run(ctx) {
    const { resourceGroup, server, minRetentionDays, restoreWindowSlackDays } = ctx.config.azure.postgres;
    const found = await ctx.gateways.azurePostgres().getServer(resourceGroup, server);
    const earliestRestoreDate = known(found.earliestRestoreDate, `earliestRestoreDate of Flexible Server ${server}`);
    const earliest = new Date(earliestRestoreDate);
    const requiredDays = minRetentionDays - restoreWindowSlackDays;
    // The one clock rule: an earliest restore point in the future names a clock or data anomaly, not a short window.
    const judged = judgeTimestamp(earliest, ctx.now(), clockSkewMs(ctx.config.limits));
    if (judged.kind === 'future') {
      const message = t.future({ server, at: earliest.toISOString(), aheadMs: judged.aheadMs });
      return {
        status: 'fail',
        message,
        evidence: { earliestRestoreDate, windowDays: null, requiredDays, minRetentionDays, slackDays: restoreWindowSlackDays },
      };
    }
    const windowDays = judged.kind === 'past' ? daysBetween(earliest, ctx.now()) : 0;
    const evidence = { earliestRestoreDate, windowDays, requiredDays, minRetentionDays, slackDays: restoreWindowSlackDays };
    if (windowDays < requiredDays) {
      return { status: 'fail', message: t.short({ server, earliest: earliestRestoreDate, days: windowDays, required: requiredDays }), evidence };
    }
    return { status: 'pass', message: t.enough({ server, earliest: earliestRestoreDate, days: windowDays, required: requiredDays }), evidence };
  },
});
