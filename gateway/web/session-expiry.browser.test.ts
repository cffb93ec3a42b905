import t from 'tap';
import type { Browser } from 'playwright-core';
import { launchChromium, newBrowserContext } from '../e2e/browser.js';
import { createHostileRequest, startWebUiFixture, type WebUiFixture } from './web-test-fixtures.js';

// Session expiry and keyboard use in real headless Chromium, against the UI with a test clock.
let browser: Browser;
let fx: WebUiFixture;

t.before(async () => {
  [browser, fx] = await Promise.all([launchChromium(), startWebUiFixture({ session_ttl_seconds: 7200, session_idle_seconds: 900 })]);
});
t.teardown(async () => {
  await browser?.close();
  await fx?.close();
});

t.test('signed in with the keyboard only; an idle session ends and sign-in returns to the page', async (t) => {
  const request = await createHostileRequest(fx.approvals);
  const context = await newBrowserContext(browser);
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`${fx.url}/ui/approvals/${request.id}`);
  t.match(page.url(), /\/ui\/login\?next=/);
  // Tab from the top of the page: the skip link, then the token field.
  await page.keyboard.press('Tab');
  t.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent), 'Skip to content');
  await page.keyboard.press('Tab');
  t.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id), 'token');
  await page.keyboard.type(fx.approverToken);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${fx.url}/ui/approvals/${request.id}`);
  t.match(await page.locator('h1').textContent(), 'Push to demo/hello');
  const cookie = (await context.cookies()).find((c) => c.name === 'gitgate_session');
  t.match(cookie, { httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });

  fx.clock.now += 899_000;
  await page.reload();
  t.match(await page.locator('h1').textContent(), 'Push to demo/hello', 'still signed in just before the idle limit');
  fx.clock.now += 901_000;
  await page.reload();
  t.match(page.url(), /\/ui\/login\?next=.*&expired=1$/);
  t.match(await page.getByRole('alert').textContent(), 'Your session ended; sign in again.');
  await page.getByLabel('Token', { exact: true }).fill(fx.approverToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${fx.url}/ui/approvals/${request.id}`);
  t.pass('back on the request page after signing in again');
});

t.test('a busy session still ends at its absolute lifetime', async (t) => {
  const context = await newBrowserContext(browser);
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`${fx.url}/ui/login`);
  await page.getByLabel('Token', { exact: true }).fill(fx.approverToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${fx.url}/ui`);
  let elapsed = 0;
  for (let i = 0; i < 12; i++) {
    fx.clock.now += 800_000; // active every 13 minutes: never idle
    elapsed += 800;
    await page.reload();
    if (page.url().includes('/ui/login')) break;
  }
  t.match(page.url(), /\/ui\/login\?next=%2Fui&expired=1$/, 'signed out although active');
  t.equal(elapsed, 7200, 'exactly at the 2 h lifetime, not before');
});
