import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

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
