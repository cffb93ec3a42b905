import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSamlIdp, type TestSamlIdp } from '../../testdata/saml-idp.js';
import { CookieClient, startWebUiFixture, type WebUiFixture } from './web-test-fixtures.js';

// SAML sign-in through the UI's routes, the way a browser goes: /ui/login/saml -> IdP -> ACS.
let idp: TestSamlIdp;
let plain: WebUiFixture;
let secure: WebUiFixture;

t.before(async () => {
  idp = await startSamlIdp();
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-saml-'));
  writeFileSync(join(dir, 'idp.xml'), idp.metadataXml);
  const saml = { idp_metadata_file: join(dir, 'idp.xml'), sp_entity_id: 'urn:gitgate:routes', name_attribute: 'displayName' };
  plain = await startWebUiFixture({ saml });
  // public_url https: Secure cookies, and the SAML login bound to the browser by a cookie.
  secure = await startWebUiFixture({ saml }, { public_url: 'https://gitgate.example.com' });
  for (const fx of [plain, secure]) idp.registerServiceProvider({ entityId: 'urn:gitgate:routes', acsUrl: `${fx.url}/ui/login/saml/acs` });
  idp.addUser('carol', { nameId: 'carol@example.com', displayName: 'Carol', groups: ['production-review'] });
});
t.teardown(async () => {
  await plain.close();
  await secure.close();
  await idp.close();
});

/** Start at the gateway, sign in at the IdP; the form the IdP's page would post to the ACS. */
async function responseFor(client: CookieClient, next: string): Promise<Record<string, string>> {
  const start = await client.request(`/ui/login/saml?next=${encodeURIComponent(next)}`);
  t.equal(start.status, 303);
  const sso = new URL(start.headers.get('location')!);
  const page = await fetch(new URL('/sso', sso), {
    method: 'POST',
    body: new URLSearchParams({ SAMLRequest: sso.searchParams.get('SAMLRequest')!, RelayState: sso.searchParams.get('RelayState')!, username: 'carol' }),
  });
  const html = await page.text();
  const value = (name: string) => (new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '').replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)));
  return { SAMLResponse: value('SAMLResponse'), RelayState: value('RelayState') };
}

t.test('SAML sign-in lands on the page asked for, with groups from the attribute', async (t) => {
  const client = new CookieClient(plain.url);
  const form = await responseFor(client, '/ui/approvals/apr_x');
  const done = await client.request('/ui/login/saml/acs', { form });
  t.equal(done.status, 303);
  t.equal(done.headers.get('location'), '/ui/approvals/apr_x');
  t.match(await (await client.request('/ui')).text(), /Signed in as <strong>Carol<\/strong> <span class="muted">\(saml; production-review\)/);
  const replay = await new CookieClient(plain.url).request('/ui/login/saml/acs', { form });
  t.equal(replay.status, 401, 'a response is used once');
  t.match(await replay.text(), /InResponseTo/);
});

t.test('over HTTPS a response is accepted only in the browser that started the login', async (t) => {
  const attacker = new CookieClient(secure.url);
  const form = await responseFor(attacker, '/ui');
  t.match(attacker.lastSetCookie.join(), /__Host-gitgate_saml=[^;]+; Path=\/; HttpOnly; SameSite=None; Secure; Max-Age=600/);
  const victim = new CookieClient(secure.url);
  const forced = await victim.request('/ui/login/saml/acs', { form });
  t.equal(forced.status, 400);
  t.match(await forced.text(), /does not belong to a login started in this browser/);
  const own = new CookieClient(secure.url);
  const ownForm = await responseFor(own, '/ui');
  const done = await own.request('/ui/login/saml/acs', { form: ownForm });
  t.equal(done.status, 303);
  t.match(own.lastSetCookie.join(), /__Host-gitgate_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure/);
  t.match(own.lastSetCookie.join(), /__Host-gitgate_saml=; .*Max-Age=0/, 'the binding cookie is cleared');
});

t.test('the SP metadata names the entity id and the ACS URL', async (t) => {
  const response = await new CookieClient(plain.url).request('/ui/login/saml/metadata');
  t.equal(response.status, 200);
  const xml = await response.text();
  t.match(xml, 'entityID="urn:gitgate:routes"');
  t.match(xml, `Location="${plain.url}/ui/login/saml/acs"`);
});
