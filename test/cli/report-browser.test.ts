/**
 * The HTML report in a real browser (Debian's chromium through playwright-core; nothing is ever
 * downloaded): no console error, no network request, script-free even with hostile text, a
 * screenshot taken; and the PDF format printed by the CLI, read back with pdftotext.
 * Set RESTORECHECK_TEST_ARTIFACTS=DIR to keep the screenshots and the PDF for a look.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../src/cli/pdf-printer.js';
import { reporters } from '../../src/report/index.js';
import { BIN } from '../helpers/cli.js';
import { checkReport, hostileReport, reportHistory } from '../helpers/report-fixtures.js';
import { makeWorkspace, runCheck, type Workspace } from '../helpers/report-workspace.js';

const CHROMIUM = '/usr/bin/chromium';
let browser: Browser;
let ws: Workspace;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
  ws = makeWorkspace();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  ws?.cleanup();
});

function keep(path: string): void {
  const dir = process.env.RESTORECHECK_TEST_ARTIFACTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  copyFileSync(path, join(dir, path.split('/').pop()!));
}

/** Opens an HTML file as a reader would (file://), recording console messages, page errors and requests. */
async function open(html: string, name: string) {
  const path = join(ws.root, name);
  writeFileSync(path, html);
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('request', (request) => requests.push(request.url()));
  const url = pathToFileURL(path).href;
  await page.goto(url, { waitUntil: 'load' });
  return { page, problems, requests: requests.filter((r) => r !== url) };
}

describe('the HTML report in Chromium', () => {
  it('opens with no console error and no network request, and takes a screenshot', async () => {
    const html = reporters.html!.render({ ...checkReport(), previousReportSha256: 'a'.repeat(64) }, { color: false, history: reportHistory() });
    const { page, problems, requests } = await open(html, 'report.html');
    try {
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, [], 'the report must load nothing');
      assert.equal(await page.title(), 'restorecheck report · production · check · 2026-11-21 03:00:00 UTC');
      // What a reader sees first: the outcome banner.
      const banner = await page.locator('header.banner').innerText();
      assert.match(banner, /production\s+FAIL/);
      assert.match(banner, /2026-11-21 03:00:00 UTC/);
      assert.match(banner, /restorecheck 0\.1\.0/);
      assert.equal(await page.locator('article.check').count(), checkReport().checks.length);
      assert.equal(await page.locator('#trend-core-row-counts svg').count(), 3, 'one chart per core table');
      assert.equal(await page.locator('#trend-backup-age circle').count(), 5, 'four earlier checks and this one');
      assert.equal(await page.locator('#trend-restore-time circle').count(), 2);
      const shot = join(ws.root, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      const png = readFileSync(shot);
      assert.equal(png.subarray(1, 4).toString(), 'PNG');
      assert.ok(png.length > 50_000, `a screenshot of a real page (${png.length} bytes)`);
      keep(shot);
    } finally {
      await page.close();
    }
  });

  it('shows hostile text as text: no script runs, no element is created', async () => {
    const html = reporters.html!.render(hostileReport(), { color: false, history: [] });
    const { page, problems, requests } = await open(html, 'hostile.html');
    try {
      assert.deepEqual(problems, []);
      assert.deepEqual(requests, []);
      // A string, evaluated in the page (the test project has no DOM types).
      const found = (await page.evaluate(`({
        pwned: window.__pwned,
        active: document.querySelectorAll('script, img, iframe, object, embed, a[href^="javascript"]').length,
        text: document.body.innerText,
      })`)) as { pwned?: number; active: number; text: string };
      assert.equal(found.pwned, undefined);
      assert.equal(found.active, 0);
      assert.ok(found.text.includes('<script>window.__pwned=1</script>'), 'the text is shown as typed');
      assert.ok(found.text.includes('\\u202eevil'), 'a bidi override is shown, not obeyed');
      const shot = join(ws.root, 'hostile.png');
      await page.screenshot({ path: shot, fullPage: false });
      keep(shot);
    } finally {
      await page.close();
    }
  });
});

describe('--format pdf', () => {
  it('prints the HTML report to a PDF whose text holds the report title', async () => {
    const dir = join(ws.root, 'pdf');
    const run = await runCheck(ws, ['html', 'pdf'], { outDir: dir });
    assert.equal(run.code, 2, run.stderr);
    const pdf = join(dir, readdirSync(dir).find((f) => f.endsWith('.pdf'))!);
    assert.equal(readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
    const text = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    assert.equal(text.status, 0, `pdftotext (poppler-utils): ${text.stderr ?? text.error}`);
    assert.match(text.stdout, /restorecheck report · check/i);
    assert.match(text.stdout, /production\s+INCOMPLETE/);
    assert.match(text.stdout, /db-connectivity/);
    const info = spawnSync('pdfinfo', [pdf], { encoding: 'utf8' });
    assert.match(info.stdout, /Title:\s+restorecheck report · production · check/);
    keep(pdf);
  });

  it('report render --format pdf writes the PDF to standard output', async () => {
    const dir = join(ws.root, 'pdf');
    const stored = join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!);
    const target = join(ws.root, 'rendered.pdf');
    const fd = openSync(target, 'w');
    try {
      const run = spawnSync(process.execPath, [BIN, 'report', 'render', stored, '--format', 'pdf'], {
        stdio: ['ignore', fd, 'pipe'],
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
        timeout: 120_000,
      });
      assert.equal(run.status, 0, String(run.stderr));
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(target).subarray(0, 5).toString(), '%PDF-');
    assert.ok(statSync(target).size > 10_000);
  });
});
