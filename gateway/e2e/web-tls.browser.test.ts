import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startSamlIdp, type TestSamlIdp } from '../../testdata/saml-idp.js';
import { launchChromium, newBrowserContext } from './browser.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';
import { makeSelfSignedCertificate } from '../../testdata/self-signed-certificate.js';

// The UI over HTTPS in real Chromium, which enforces the cookie rules itself: the __Host- session
// cookie (Secure, Path=/, no Domain) is kept, and the SAML login's SameSite=None binding cookie is
// sent with the IdP's cross-site POST (http IdP -> https gateway) while the Lax session cookie is not.
let browser: Browser;
let idp: TestSamlIdp;
let harness: GatewayHarness;

t.before(async () => {
  [browser, idp] = await Promise.all([launchChromium(), startSamlIdp()]);
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-web-tls-'));
  const { certFile: cert, keyFile: key } = makeSelfSignedCertificate(dir, 'gateway');
  writeFileSync(join(dir, 'idp.xml'), idp.metadataXml);
  harness = await startHarness([], undefined, {
    tls: { cert_file: cert, key_file: key },
    web: { saml: { idp_metadata_file: join(dir, 'idp.xml'), sp_entity_id: 'urn:gitgate:tls', name_attribute: 'displayName', label: 'Test SAML' } },
  });
  idp.registerServiceProvider({ entityId: 'urn:gitgate:tls', acsUrl: `${harness.gateway.url}/ui/login/saml/acs` });
  idp.addUser('carol', { nameId: 'carol@example.com', displayName: 'Carol', groups: ['production-review'] });
});
t.teardown(async () => {
  await browser?.close();
  await harness?.close();
  await idp?.close();
});

t.test('over HTTPS: __Host- Secure session cookie kept by Chromium; token sign-in and sign-out', async (t) => {
  t.match(harness.gateway.url, /^https:/);
  const context = await newBrowserContext(browser, { ignoreHTTPSErrors: true });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`${harness.gateway.url}/ui/login`);
  await page.getByLabel('Token', { exact: true }).fill(harness.gateway.tokens.create('alice', ['production-review'], 'human').token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${harness.gateway.url}/ui`);
  const cookies = await context.cookies();
  t.match(cookies.find((c) => c.name === '__Host-gitgate_session'), { secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });
  t.notOk(cookies.some((c) => c.name === 'gitgate_session'), 'no cookie without the prefix');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/signed_out=1$/);
});

t.test('over HTTPS: SAML sign-in from an http IdP, bound to this browser by the SameSite=None cookie', async (t) => {
  const context = await newBrowserContext(browser, { ignoreHTTPSErrors: true });
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`${harness.gateway.url}/ui`);
  await page.getByRole('link', { name: 'Sign in with Test SAML' }).click();
  t.match((await context.cookies()).find((c) => c.name === '__Host-gitgate_saml'), { secure: true, sameSite: 'None' });
  await page.getByLabel('User name').fill('carol');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${harness.gateway.url}/ui`);
  t.match(await page.locator('header').textContent(), /Signed in as Carol \(saml; production-review\)/);
  t.notOk((await context.cookies()).some((c) => c.name === '__Host-gitgate_saml'), 'the binding cookie is spent');
});
