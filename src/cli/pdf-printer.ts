/**
 * `--format pdf`: the HTML report printed by headless Chromium, driven by playwright-core with the
 * machine's own browser (Debian's `chromium`). We never download a browser: without one the user
 * gets a clear error and the install command. The page is printed offline with JavaScript off:
 * the report has neither network resources nor script, and must not gain any on the way to paper.
 */
import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { escapeMarkup } from '../report/escape.js';

/** Where Linux distributions put Chromium or Chrome; RESTORECHECK_CHROMIUM overrides (macOS, Windows, a custom build). */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium'];

/** Flags for a root user in a container with no network: no sandbox, no GPU, no background calls home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function findChromium(env: NodeJS.ProcessEnv): string {
  const override = env.RESTORECHECK_CHROMIUM;
  if (override) {
    if (existsSync(override)) return override;
    throw new UsageError(
      `--format pdf: RESTORECHECK_CHROMIUM points at ${override}, which does not exist`,
      'set RESTORECHECK_CHROMIUM to a Chromium or Chrome executable, or unset it to use /usr/bin/chromium (Debian/Ubuntu: apt-get install chromium)',
    );
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found) return found;
  throw new UsageError(
    '--format pdf needs Chromium or Chrome, and none was found',
    `install it (Debian/Ubuntu: apt-get install chromium), or set RESTORECHECK_CHROMIUM to its executable; looked in ${CANDIDATES.join(', ')}`,
  );
}

/** Prints `html` to an A4 PDF, with the report's title and page numbers in the footer. */
export async function printPdf(html: string, options: { executablePath: string; footer: string }): Promise<Buffer> {
  // Loaded only when a PDF is asked for: every other run stays free of the browser driver.
  const { chromium } = await import('playwright-core');
  // Playwright gives the browser a fresh temporary profile (--user-data-dir) and removes it on close.
  const browser = await chromium.launch({ executablePath: options.executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  try {
    const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
    const page = await context.newPage();
    await page.setContent(html, { waitUntil: 'load', timeout: 60_000 });
    return await page.pdf({
      format: 'A4',
      printBackground: true,
      preferCSSPageSize: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate:
        `<div style="font-size:8px;width:100%;padding:0 12mm;color:#59636e;display:flex;justify-content:space-between"><span>${escapeMarkup(options.footer)}</span><span>page ` +
        `<span class="pageNumber"></span> / <span class="totalPages"></span></span></div>`,
    });
  } finally {
    await browser.close();
  }
}
