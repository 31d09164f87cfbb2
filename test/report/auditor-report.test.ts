/**
 * Issue 13, item 4: reports that answer an auditor. Who ran it and on what (provenance), the order a reader needs
 * (failures first, the most severe first), the "by requirement" view, and remediation commands rendered as code.
 * Pure reporters, fixed RunResults: each assertion failed on the reporters before this change.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reporters } from '../../src/report/index.js';
import { parseReport } from '../../src/report/report-schema.js';
import { collectProvenance } from '../../src/run/provenance.js';
import type { CheckResult, RunResult } from '../../src/run/result.js';
import { computeOutcome, summarise } from '../../src/run/result.js';
import { configSchema } from '../../src/config/schema.js';
import { xmllintText } from '../helpers/xmllint.js';

const SUB = '11111111-2222-3333-4444-555555555555';
const ISO_BACKUP = { framework: 'ISO27001:2022', control: 'A.8.13' };
const HDS_EEA = { framework: 'HDS v2', control: 'EXI 28' };

const GITHUB_ENV = {
  GITHUB_ACTIONS: 'true',
  GITHUB_ACTOR: 'octo-ops',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'medicapp/infra',
  GITHUB_RUN_ID: '987654',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_WORKFLOW: 'restorecheck monthly',
  GITHUB_REF_NAME: 'main',
};

const config = configSchema.parse({
  environment: 'production',
  database: { url: 'postgres://auditor:S3cretPassw0rd@medicappdbprod.postgres.database.azure.com:6432/medicapp?sslmode=require' },
  azure: {
    subscriptionId: SUB,
    postgres: { resourceGroup: 'medicapp-rg', server: 'medicappdbprod' },
    storage: { resourceGroup: 'medicapp-rg', account: 'medicappbackups' },
  },
});

function check(partial: Partial<CheckResult> & Pick<CheckResult, 'id' | 'status'>): CheckResult {
  return {
    title: `${partial.id} title`,
    severity: 'high',
    message: `${partial.id} message.`,
    evidence: {},
    remediation: `Fix ${partial.id}.`,
    controls: [ISO_BACKUP],
    durationMs: 5,
    ...partial,
  };
}

function report(): RunResult {
  const checks = [
    check({ id: 'a-low-fail', status: 'fail', severity: 'low' }),
    check({ id: 'b-pass', status: 'pass', severity: 'critical', controls: [ISO_BACKUP, HDS_EEA] }),
    check({ id: 'c-error', status: 'error', severity: 'critical', hint: 'grant Reader' }),
    check({
      id: 'd-critical-fail',
      status: 'fail',
      severity: 'critical',
      controls: [HDS_EEA],
      remediation: 'Turn it on: `az postgres flexible-server update -g medicapp-rg -n medicappdbprod --backup-retention 35`, then run `restorecheck check`.',
    }),
    check({ id: 'e-skipped', status: 'skipped', severity: 'critical', controls: [{ framework: 'ISO27001:2022', control: 'A.8.15' }] }),
    check({ id: 'f-warn', status: 'warn', severity: 'medium' }),
    check({ id: 'g-medium-fail', status: 'fail', severity: 'medium' }),
  ];
  return {
    schemaVersion: 1,
    tool: { name: 'restorecheck', version: '0.2.0' },
    run: {
      id: '00000000-0000-4000-8000-000000000013',
      command: 'check',
      environment: 'production',
      startedAt: '2026-12-01T03:00:00.000Z',
      finishedAt: '2026-12-01T03:00:09.000Z',
      durationMs: 9000,
      failOn: 'low',
    },
    checks,
    summary: summarise(checks),
    outcome: computeOutcome(checks, 'low'),
    provenance: collectProvenance({ env: GITHUB_ENV, config, osUser: 'runner', host: 'fv-az123-456' }),
  };
}

const ATTENTION = ['d-critical-fail', 'g-medium-fail', 'a-low-fail', 'c-error', 'f-warn', 'b-pass', 'e-skipped'];

/** The ids in the order they first appear in the text. */
function orderIn(text: string, ids: readonly string[]): string[] {
  return [...ids].sort((a, b) => text.indexOf(a) - text.indexOf(b));
}

describe('provenance: who ran it and on what', () => {
  it('reads GitHub Actions variables and the configuration, never the password', () => {
    const p = collectProvenance({ env: GITHUB_ENV, config, osUser: 'runner', host: 'fv-az123-456' });
    assert.deepEqual(p.who, {
      osUser: 'runner',
      host: 'fv-az123-456',
      ci: {
        provider: 'github-actions',
        actor: 'octo-ops',
        runUrl: 'https://github.com/medicapp/infra/actions/runs/987654/attempts/2',
        workflow: 'restorecheck monthly',
        ref: 'main',
      },
      repository: 'https://github.com/medicapp/infra',
      commit: GITHUB_ENV.GITHUB_SHA,
    });
    assert.equal(p.target.subscriptionId, SUB);
    assert.equal(
      p.target.postgresServerId,
      `/subscriptions/${SUB}/resourceGroups/medicapp-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/medicappdbprod`,
    );
    assert.equal(p.target.storageAccountId, `/subscriptions/${SUB}/resourceGroups/medicapp-rg/providers/Microsoft.Storage/storageAccounts/medicappbackups`);
    assert.equal(p.target.serverFqdn, 'medicappdbprod.postgres.database.azure.com');
    assert.deepEqual(
      { ...p.target.database, url: undefined },
      {
        host: 'medicappdbprod.postgres.database.azure.com',
        port: 6432,
        name: 'medicapp',
        user: 'auditor',
        url: undefined,
      },
    );
    assert.doesNotMatch(JSON.stringify(p), /S3cretPassw0rd/);
    assert.match(p.target.database!.url, /auditor:\*\*\*@/);
  });

  it('reads Azure DevOps variables', () => {
    const p = collectProvenance({
      env: {
        TF_BUILD: 'True',
        BUILD_REQUESTEDFOR: 'Marie Curie',
        SYSTEM_COLLECTIONURI: 'https://dev.azure.com/medicapp/',
        SYSTEM_TEAMPROJECT: 'Infra Ops',
        BUILD_BUILDID: '4242',
        BUILD_REPOSITORY_URI: 'https://dev.azure.com/medicapp/Infra%20Ops/_git/infra',
        BUILD_SOURCEVERSION: 'abcdef0',
      },
      osUser: undefined,
      host: undefined,
    });
    assert.deepEqual(p.who, {
      ci: { provider: 'azure-devops', actor: 'Marie Curie', runUrl: 'https://dev.azure.com/medicapp/Infra%20Ops/_build/results?buildId=4242' },
      repository: 'https://dev.azure.com/medicapp/Infra%20Ops/_git/infra',
      commit: 'abcdef0',
    });
    assert.deepEqual(p.target, {});
  });

  it('outside CI: the OS user and host only; the archive when given', () => {
    const p = collectProvenance({ env: {}, archive: '/backups/app_production_20261201_030000.tar.gz' });
    assert.equal(p.who.ci, undefined);
    assert.equal(typeof p.who.host, 'string');
    assert.equal(p.target.archive, '/backups/app_production_20261201_030000.tar.gz');
  });

  it('the JSON report with provenance parses against the report schema', () => {
    const parsed = parseReport(reporters.json.render(report(), { color: false }));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('\n'));
    assert.equal(parsed.report.provenance?.who.ci?.actor, 'octo-ops');
  });

  it('every human format names the actor, the run URL, the commit and the server, and no password', () => {
    const r = report();
    for (const format of ['markdown', 'html', 'junit'] as const) {
      const out = reporters[format].render(r, { color: false });
      for (const needle of ['octo-ops', 'actions/runs/987654', GITHUB_ENV.GITHUB_SHA, 'flexibleServers/medicappdbprod', SUB, 'fv-az123-456']) {
        assert.ok(out.includes(needle), `${format} lacks ${needle}`);
      }
      assert.doesNotMatch(out, /S3cretPassw0rd/, format);
    }
    const consoleOut = reporters.console.render(r, { color: false });
    assert.match(consoleOut, /octo-ops@fv-az123-456/);
    assert.match(consoleOut, /on medicappdbprod/);
  });

  it('JUnit: the real host name, and provenance properties; still valid against the XSD', () => {
    const xml = reporters.junit.render(report(), { color: false });
    assert.match(xml, /hostname="fv-az123-456"/);
    assert.doesNotMatch(xml, /hostname="localhost"/);
    assert.match(xml, /<property name="provenance.ciActor" value="octo-ops"\/>/);
    assert.match(xml, /<property name="provenance.postgresServerId" value="\/subscriptions\//);
    const lint = xmllintText(xml);
    assert.ok(lint.ok, lint.stderr);
  });
});

describe('order: failures first by severity, then error, warn, pass, skipped', () => {
  for (const format of ['console', 'markdown', 'html', 'junit'] as const) {
    it(format, () => {
      const out = reporters[format].render(report(), { color: false });
      // HTML: the details section (the overview table lists them in the same order before it).
      const text = format === 'html' ? out.slice(out.indexOf('<section class="details">')) : out;
      assert.deepEqual(orderIn(text, ATTENTION), ATTENTION);
    });
  }

  it('the JSON keeps the checks by id', () => {
    const json = JSON.parse(reporters.json.render(report(), { color: false })) as RunResult;
    assert.deepEqual(
      json.checks.map((c) => c.id),
      [...ATTENTION].sort(),
    );
  });
});

describe('by requirement', () => {
  it('Markdown: each requirement, its checks and its status (the worst of theirs)', () => {
    const out = reporters.markdown.render(report(), { color: false });
    const section = out.slice(out.indexOf('### By requirement'));
    assert.ok(out.includes('### By requirement'));
    const row = (needle: string) => section.split('\n').find((line) => line.includes(needle)) ?? '';
    assert.match(row('EXI 28'), /^\| ❌ FAIL \| HDS v2 EXI 28 \| ❌ d-critical-fail \(FAIL\), ✅ b-pass \(PASS\) \|$/);
    assert.match(row('A.8.13'), /^\| ❌ FAIL \| ISO27001:2022 A\.8\.13 \(Information backup\) \| /);
    assert.match(row('A.8.15'), /SKIPPED.*e-skipped/);
  });

  it('HTML: a requirements table with a status per requirement', () => {
    const out = reporters.html.render(report(), { color: false });
    const section = out.slice(out.indexOf('<section class="requirements">'), out.indexOf('</section>', out.indexOf('<section class="requirements">')));
    assert.ok(section.length > 0);
    assert.match(section, /<tr><td><span class="status fail">FAIL<\/span><\/td><td>HDS v2 EXI 28<\/td>/);
    assert.match(section, /<span class="status skipped">SKIPPED<\/span><\/td><td>ISO27001:2022 A\.8\.15 \(Logging\)/);
  });

  it('console: the unmet requirements in short', () => {
    const out = reporters.console.render(report(), { color: false });
    assert.match(out, /FAIL {3}HDS v2 EXI 28: d-critical-fail/);
  });
});

describe('remediation rendered as code', () => {
  it('HTML: backtick spans become <code>/<pre>, no literal backtick, still escaped', () => {
    const r = report();
    r.checks.find((c) => c.id === 'a-low-fail')!.remediation = 'Run `psql -c "select 1 < 2"` <b>now</b>.';
    const out = reporters.html.render(r, { color: false });
    assert.match(out, /<pre><code>az postgres flexible-server update -g medicapp-rg -n medicappdbprod --backup-retention 35<\/code><\/pre>/);
    assert.match(out, /then run <code>restorecheck check<\/code>/);
    assert.match(out, /Run <code>psql -c &quot;select 1 &lt; 2&quot;<\/code> &lt;b&gt;now&lt;\/b&gt;\./);
    const details = out.slice(out.indexOf('<section class="details">'));
    assert.doesNotMatch(details, /`/);
  });

  it('Markdown: inline code, not escaped backticks; a backtick inside a command gets a longer fence', () => {
    const r = report();
    r.checks.find((c) => c.id === 'a-low-fail')!.remediation = 'Quote it: ``echo `date` ``, then *retry*.';
    const out = reporters.markdown.render(r, { color: false });
    assert.ok(
      out.includes(
        '- Remediation: Turn it on: `az postgres flexible-server update -g medicapp-rg -n medicappdbprod --backup-retention 35`, then run `restorecheck check`.',
      ),
    );
    assert.doesNotMatch(out, /\\`/);
    assert.ok(out.includes('- Remediation: Quote it: ``echo `date` ``, then \\*retry\\*.'), out);
  });
});

describe('provenance outside CI: the commit of the current directory', () => {
  it('read from .git (a branch ref, then packed-refs), without running git; none outside a repository', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, mkdirSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const repo = mkdtempSync(join(tmpdir(), 'restorecheck-git-'));
    try {
      const git = (...args: string[]) =>
        execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { encoding: 'utf8' }).trim();
      git('init', '-q', '-b', 'main');
      git('commit', '-q', '--allow-empty', '-m', 'first');
      const head = git('rev-parse', 'HEAD');
      mkdirSync(join(repo, 'sub', 'dir'), { recursive: true });
      assert.equal(collectProvenance({ env: {}, cwd: join(repo, 'sub', 'dir') }).who.commit, head);
      git('pack-refs', '--all');
      assert.equal(collectProvenance({ env: {}, cwd: repo }).who.commit, head);
      // In CI the CI's commit wins.
      assert.equal(collectProvenance({ env: GITHUB_ENV, cwd: repo }).who.commit, GITHUB_ENV.GITHUB_SHA);
      // Outside a repository: nothing (or, should the temp dir sit inside one, what git itself says).
      const outside = mkdtempSync(join(tmpdir(), 'restorecheck-nogit-'));
      let expected: string | undefined;
      try {
        expected = execFileSync('git', ['-C', outside, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      } catch {
        expected = undefined;
      }
      assert.equal(collectProvenance({ env: {}, cwd: outside }).who.commit, expected);
      rmSync(outside, { recursive: true, force: true });
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
