/**
 * restore-rto: the whole restore (from the command's start to the end of the health check, the confirmation and the
 * safety backup included) against selfHosted.rtoMinutes, the recovery time objective the procedure promises (the seed
 * procedure: "< 5 minutes"). Over it: warn, not fail (the data is back; the promise was not kept, and the report says so).
 */
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

const t = messages('restore-rto', {
  within: text<{ seconds: number; rto: number }>(
    (p) => `The restore took ${p.seconds} s, within the recovery time objective of ${p.rto} minutes.`,
    (p) => `La restauration a pris ${p.seconds} s, dans l’objectif de temps de reprise de ${p.rto} minutes.`,
  ),
  over: text<{ seconds: number; rto: number }>(
    (p) => `The restore took ${p.seconds} s, over the recovery time objective of ${p.rto} minutes.`,
    (p) => `La restauration a pris ${p.seconds} s, au-delà de l’objectif de temps de reprise de ${p.rto} minutes.`,
  ),
});

export const restoreRto = defineCheck({
  id: 'restore-rto',
  title: 'The restore met the recovery time objective',
  severity: 'medium',
  description:
    'Measures the restore from the command’s start to the end of its health check (verification, confirmation and safety backup included) against selfHosted.rtoMinutes (default 5).',
  risk: 'A restore slower than the objective the continuity plan promises leaves the service down longer than the plan says.',
  remediation:
    'See each step’s time in the evidence; a large safety backup or dump may need a faster disk, or a larger selfHosted.rtoMinutes agreed in the continuity plan.',
  fr: {
    title: 'La restauration a tenu l’objectif de temps de reprise',
    description:
      'Mesure la restauration du début de la commande à la fin de sa vérification de santé (vérification, confirmation et sauvegarde de sécurité comprises) par rapport à selfHosted.rtoMinutes (5 par défaut).',
    risk: 'Une restauration plus lente que l’objectif promis par le plan de continuité laisse le service arrêté plus longtemps que le plan ne le dit.',
    remediation:
      'Voir le temps de chaque étape dans les preuves ; une grosse sauvegarde de sécurité ou un gros dump peut demander un disque plus rapide, ou un selfHosted.rtoMinutes plus grand convenu dans le plan de continuité.',
  },
  // A.5.30: the recovery time the continuity plan promises.
  controls: [CONTROLS.continuity],
  needs: [],
  uses: ['inPlace'],
  command: 'restore',
  async run(ctx) {
    const { totalSeconds, rtoMinutes, steps } = ctx.inPlace;
    const evidence = {
      totalSeconds,
      rtoMinutes,
      steps: steps.map((s) => ({ name: s.name, seconds: s.seconds, ok: s.ok, ...(s.detail ? { detail: s.detail } : {}) })),
    };
    return totalSeconds <= rtoMinutes * 60
      ? { status: 'pass', message: t.within({ seconds: totalSeconds, rto: rtoMinutes }), evidence }
      : { status: 'warn', message: t.over({ seconds: totalSeconds, rto: rtoMinutes }), evidence };
  },
});
