import t from 'tap';
import { startSamlIdp, type SamlTampering, type TestSamlIdp } from '../../testdata/saml-idp.js';
import { parseIdpMetadata } from './idp-metadata.js';
import { SamlLogin } from './saml-login.js';

const ACS = 'http://127.0.0.1:9/ui/login/saml/acs';
const SP = 'urn:gitgate:test-sp';
let idp: TestSamlIdp;

t.before(async () => {
  idp = await startSamlIdp();
  idp.registerServiceProvider({ entityId: SP, acsUrl: ACS });
  idp.addUser('carol', { nameId: 'carol@example.com', displayName: 'Carol <Approver>', email: 'carol@example.com', groups: ['production-review', 'staff'] });
});
t.teardown(() => idp.close());

function newLogin(): SamlLogin {
  return new SamlLogin(
    { idpMetadataFile: '(test)', spEntityId: SP, groupsAttribute: 'groups', nameAttribute: 'displayName', emailAttribute: undefined, clockSkewSeconds: 5, label: 'Test SAML' },
    idp.metadataXml,
  );
}

/** What a browser does: follow the redirect to the IdP, sign in, read the auto-posted form. */
async function signInAtIdp(loginUrl: string, username: string): Promise<URLSearchParams> {
  const start = new URL(loginUrl);
  const page = await fetch(start);
  t.equal(page.status, 200);
  const posted = await fetch(new URL('/sso', start), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ SAMLRequest: start.searchParams.get('SAMLRequest')!, RelayState: start.searchParams.get('RelayState') ?? '', username }),
  });
  const html = await posted.text();
  const value = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
  return new URLSearchParams({ SAMLResponse: value('SAMLResponse'), RelayState: value('RelayState').replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))) });
}

t.test('IdP metadata: entity id, HTTP-Redirect SSO URL and signing certificate; bad metadata names what is missing', async (t) => {
  const metadata = parseIdpMetadata(idp.metadataXml);
  t.equal(metadata.entityId, idp.entityId);
  t.equal(metadata.ssoUrl, `${idp.entityId}/sso`);
  t.equal(metadata.signingCertificates.length, 1);
  t.throws(() => parseIdpMetadata('<x'), { code: 'SAML_METADATA_INVALID' });
  t.throws(() => parseIdpMetadata('<EntityDescriptor entityID="a"/>'), { code: 'SAML_METADATA_INVALID', message: /no EntityDescriptor with an IDPSSODescriptor/ });
  t.throws(() => parseIdpMetadata(idp.metadataXml.replace(/<md:KeyDescriptor[\s\S]*<\/md:KeyDescriptor>/, '')), { message: /no signing certificate/ });
  t.throws(() => parseIdpMetadata(idp.metadataXml.replace('HTTP-Redirect', 'HTTP-POST')), { message: /HTTP-Redirect/ });
});

t.test('a signed response from the IdP signs the approver in, with groups from the attribute; it cannot be replayed', async (t) => {
  const login = newLogin();
  const url = await login.start(ACS, '/ui/approvals/abc');
  const form = await signInAtIdp(url, 'carol');
  t.equal(form.get('RelayState'), '/ui/approvals/abc');
  const identity = await login.finish(form, ACS);
  t.same(identity, { subject: 'carol@example.com', issuer: idp.entityId, name: 'Carol <Approver>', email: 'carol@example.com', groups: ['production-review', 'staff'], authentication: 'saml' });
  await t.rejects(login.finish(form, ACS), { code: 'LOGIN_REJECTED', message: /InResponseTo/ }, 'the same response a second time is refused');
});

const refusals: [SamlTampering, RegExp][] = [
  ['unsigned', /signature/i],
  ['foreign-key', /signature/i],
  ['altered-after-signing', /signature/i],
  ['wrong-audience', /audience/i],
  ['expired', /expired|NotOnOrAfter|subject confirmation/i],
];
for (const [mode, reason] of refusals) {
  t.test(`a response that is ${mode} is refused`, async (t) => {
    const login = newLogin();
    idp.tamper(mode);
    t.teardown(() => idp.tamper('none'));
    const form = await signInAtIdp(await login.start(ACS, '/ui'), 'carol');
    await t.rejects(login.finish(form, ACS), { code: 'LOGIN_REJECTED', message: reason });
  });
}

t.test('a response for a request this SP never sent is refused', async (t) => {
  const other = newLogin();
  const form = await signInAtIdp(await other.start(ACS, '/ui'), 'carol');
  await t.rejects(newLogin().finish(form, ACS), { code: 'LOGIN_REJECTED', message: /InResponseTo/ });
  await t.rejects(newLogin().finish(new URLSearchParams(), ACS), { code: 'LOGIN_REJECTED', message: /no SAMLResponse/ });
});
