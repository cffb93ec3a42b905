import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (installed by scripts/ci/install-system-deps.sh), or $GITGATE_CHROMIUM. */
export const CHROMIUM_PATH = process.env['GITGATE_CHROMIUM'] ?? '/usr/bin/chromium';

/** Real headless Chromium driven by playwright-core. Fails (never skips) when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not at ${CHROMIUM_PATH}: run scripts/ci/install-system-deps.sh (installs Debian's chromium) or set GITGATE_CHROMIUM`);
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** `<repo>/.artifacts/<name>` (gitignored), for screenshots kept after the tests. */
export function artifactPath(name: string): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dir = join(root, '.artifacts');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/**
 * Basic accessibility checks of the page in the browser (the DOM as rendered): a language, one
 * h1, no skipped heading level, a label for every form field, a name for every button and link.
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // A string so that the DOM code runs in the browser without DOM types in this Node project.
  return page.evaluate(`(() => {
    const problems = [];
    if (!document.documentElement.lang) problems.push('no lang on <html>');
    const h1 = document.querySelectorAll('h1').length;
    if (h1 !== 1) problems.push(h1 + ' h1 elements');
    let last = 0;
    for (const heading of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
      const level = Number(heading.tagName[1]);
      if (last > 0 && level > last + 1) problems.push('heading level skips from h' + last + ' to h' + level + ': ' + heading.textContent.trim());
      last = level;
    }
    for (const field of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      if (field.labels.length === 0 && !field.getAttribute('aria-label')) problems.push('unlabelled field ' + (field.name || field.id));
    }
    for (const control of document.querySelectorAll('button, a[href]')) {
      if (control.textContent.trim() === '' && !control.getAttribute('aria-label')) problems.push('nameless ' + control.tagName.toLowerCase());
    }
    return problems;
  })()`);
}

/**
 * A fresh browser profile. Waits allow 60 s (Playwright's default is 30 s): CI machines running
 * the whole suite in parallel on 2 cores are slow, and a timeout is not what these tests check.
 */
export async function newBrowserContext(browser: Browser, options: { ignoreHTTPSErrors?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(60_000);
  context.setDefaultNavigationTimeout(60_000);
  return context;
}
