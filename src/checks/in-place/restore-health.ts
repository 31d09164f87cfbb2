/**
 * restore-health: the application answers again after the restore. selfHosted.healthUrl is asked (GET, no redirect
 * followed, each attempt bounded) until it answers 2xx or selfHosted.healthTimeoutSeconds pass; the last answer is the
 * verdict. Without a health URL: skipped (the restored-* checks still say whether the data is back); with one that the
 * restore did not reach (Ctrl-C): error.
 */
import { EvaluationError } from '../../errors.js';
import { messages, text } from '../messages.js';
import { CONTROLS, defineCheck } from '../types.js';

const t = messages('restore-health', {
  none: text(
    () => 'No selfHosted.healthUrl configured: the application’s health after the restore is not checked.',
    () => 'Aucun selfHosted.healthUrl configuré : la santé de l’application après la restauration n’est pas vérifiée.',
  ),
  healthy: text<{ url: string; status: number; seconds: number; attempts: number }>(
    (p) => `${p.url} answered ${p.status} after the restore (${p.attempts} attempt(s), ${p.seconds} s).`,
    (p) => `${p.url} a répondu ${p.status} après la restauration (${p.attempts} tentative(s), ${p.seconds} s).`,
  ),
  unhealthy: text<{ url: string; answer: string; seconds: number; attempts: number }>(
    (p) => `${p.url} did not answer 2xx within ${p.seconds} s after the restore (${p.attempts} attempt(s); last: ${p.answer}).`,
    (p) => `${p.url} n’a pas répondu 2xx dans les ${p.seconds} s suivant la restauration (${p.attempts} tentative(s) ; dernière : ${p.answer}).`,
  ),
});

export const restoreHealth = defineCheck({
  id: 'restore-health',
  title: 'The application answers healthy after the restore',
  severity: 'critical',
  description: 'Asks selfHosted.healthUrl (GET) after the restore and the start commands, until it answers 2xx or selfHosted.healthTimeoutSeconds pass.',
  risk: 'Data put back under an application that does not come up is still an outage.',
  remediation: 'Read the application’s logs (`docker compose logs app`), fix what keeps it from starting, and check the URL by hand (`curl -i <url>`).',
  fr: {
    title: 'L’application répond en bonne santé après la restauration',
    description:
      'Interroge selfHosted.healthUrl (GET) après la restauration et les commandes de démarrage, jusqu’à une réponse 2xx ou la fin de selfHosted.healthTimeoutSeconds.',
    risk: 'Des données remises sous une application qui ne redémarre pas, c’est toujours une interruption de service.',
    remediation:
      'Lire les journaux de l’application (`docker compose logs app`), corriger ce qui l’empêche de démarrer, et vérifier l’URL à la main (`curl -i <url>`).',
  },
  // A.5.30: the service is back (ICT readiness for business continuity).
  controls: [CONTROLS.continuity],
  needs: [],
  uses: ['inPlace'],
  command: 'restore',
  notApplicable: (config) => (config.selfHosted?.healthUrl ? undefined : t.none({})),
  async run(ctx) {
    const health = ctx.inPlace.health.url;
    // A health URL that was configured and not asked (Ctrl-C, the restore stopped before) was not evaluated: an error.
    if (!health) {
      throw new EvaluationError(
        'internal',
        `the restore did not reach the health check of ${ctx.config.selfHosted?.healthUrl ?? 'selfHosted.healthUrl'}${ctx.inPlace.interrupted ? ' (interrupted)' : ''}`,
        'run the restore again, or ask the URL by hand (`curl -i <url>`)',
      );
    }
    const evidence = {
      url: health.url,
      status: health.status,
      seconds: health.seconds,
      attempts: health.attempts,
      ...(health.error ? { error: health.error } : {}),
    };
    if (health.ok && health.status !== null)
      return { status: 'pass', message: t.healthy({ url: health.url, status: health.status, seconds: health.seconds, attempts: health.attempts }), evidence };
    const answer = health.status !== null ? `HTTP ${health.status}` : (health.error ?? 'no answer');
    return { status: 'fail', message: t.unhealthy({ url: health.url, answer, seconds: health.seconds, attempts: health.attempts }), evidence };
  },
});
