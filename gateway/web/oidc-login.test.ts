import t from 'tap';
import { startOidcIssuer, type TestOidcIssuer } from '../../testdata/oidc-issuer.js';
import { CookieClient, startWebUiFixture, type WebUiFixture } from './web-test-fixtures.js';

let issuer: TestOidcIssuer;
let fx: WebUiFixture;
const SECRET_ENV = 'GITGATE_TEST_OIDC_CLIENT_SECRET';

t.before(async () => {
  issuer = await startOidcIssuer();
  process.env[SECRET_ENV] = `test-secret-${Math.random().toString(36).slice(2)}`;
  fx = await startWebUiFixture({ oidc: { issuer: issuer.issuer, client_id: 'gitgate-ui', client_secret_env: SECRET_ENV, label: 'Test IdP', algorithms: ['RS256'] } });
  issuer.registerClient({ clientId: 'gitgate-ui', redirectUri: `${fx.url}/ui/login/oidc/callback`, secret: process.env[SECRET_ENV]! });
  issuer.addUser('alice', { sub: 'alice-123', name: 'Alice <Approver>', email: 'alice@example.com', groups: ['production-review', 'staff'] });
});
t.teardown(async () => {
  await fx.close();
  await issuer.close();
  delete process.env[SECRET_ENV];
});

/** What the browser does: start at the gateway, sign in at the issuer; returns the callback URL. */
async function throughIssuer(client: CookieClient, username = 'alice', action = 'login'): Promise<string> {
  const start = await client.request('/ui/login/oidc?next=%2Fui%3Fx%3D1');
  t.equal(start.status, 303);
  const authorize = new URL(start.headers.get('location')!);
  const params = authorize.searchParams;
  t.equal(params.get('code_challenge_method'), 'S256');
  t.equal(params.get('response_type'), 'code');
  t.match(params.get('state'), /^[A-Za-z0-9_-]{43}$/);
  t.match(params.get('nonce'), /^[A-Za-z0-9_-]{43}$/);
  t.equal(params.get('redirect_uri'), `${fx.url}/ui/login/oidc/callback`);
  const page = await fetch(authorize);
  t.equal(page.status, 200);
  const form = new URLSearchParams(params);
  form.set('username', username);
  form.set('action', action);
  const back = await fetch(new URL('/authorize', issuer.issuer), { method: 'POST', body: form, redirect: 'manual' });
  t.equal(back.status, 302);
  return back.headers.get('location')!;
}

t.test('authorization-code flow with PKCE: the approver is signed in with groups from the claim', async (t) => {
  const client = new CookieClient(fx.url);
  const callback = await throughIssuer(client);
  const done = await client.request(new URL(callback).pathname + new URL(callback).search);
  t.equal(done.status, 303);
  t.equal(done.headers.get('location'), '/ui?x=1');
  const list = await (await client.request('/ui')).text();
  t.match(list, /Signed in as <strong>Alice &lt;Approver&gt;<\/strong> <span class="muted">\(oidc; production-review, staff\)/);
  const replay = await client.request(new URL(callback).pathname + new URL(callback).search);
  t.equal(replay.status, 400, 'a callback works once');
  t.match(await replay.text(), /does not belong to a login started in this browser/);
});

t.test('a callback from another browser (no matching state) is refused', async (t) => {
  const victim = new CookieClient(fx.url);
  const attacker = new CookieClient(fx.url);
  const callback = await throughIssuer(attacker);
  await victim.request('/ui/login');
  const forced = await victim.request(new URL(callback).pathname + new URL(callback).search);
  t.equal(forced.status, 400);
  t.equal((await victim.request('/ui')).status, 303, 'the victim is not signed in as the attacker');
});

t.test('an ID token with another nonce, or a cancelled sign-in, is refused', async (t) => {
  issuer.overrideIdTokens({ nonce: 'not-the-one' });
  t.teardown(() => issuer.overrideIdTokens(undefined));
  const client = new CookieClient(fx.url);
  const callback = await throughIssuer(client);
  const refused = await client.request(new URL(callback).pathname + new URL(callback).search);
  t.equal(refused.status, 401);
  t.match(await refused.text(), /nonce does not match this login/);
  issuer.overrideIdTokens(undefined);
  const cancelled = await throughIssuer(client, 'alice', 'cancel');
  const page = await client.request(new URL(cancelled).pathname + new URL(cancelled).search);
  t.equal(page.status, 401);
  t.match(await page.text(), /the identity provider refused the sign-in: access_denied \(the user cancelled the sign-in\)/);
});

t.test('the issuer refuses a code exchange without the right client secret', async (t) => {
  const saved = process.env[SECRET_ENV];
  process.env[SECRET_ENV] = 'wrong';
  t.teardown(() => void (process.env[SECRET_ENV] = saved));
  const client = new CookieClient(fx.url);
  const callback = await throughIssuer(client);
  const refused = await client.request(new URL(callback).pathname + new URL(callback).search);
  t.equal(refused.status, 401);
  t.match(await refused.text(), /refused the authorization code: invalid_client/);
});

t.test('an unreachable issuer gives a clear error page, and the UI keeps serving', async (t) => {
  const down = await startWebUiFixture({ oidc: { issuer: 'http://127.0.0.1:9', client_id: 'gitgate-ui' } });
  t.teardown(() => down.close());
  const client = new CookieClient(down.url);
  const response = await client.request('/ui/login/oidc');
  t.equal(response.status, 502);
  t.match(await response.text(), /the identity provider&#39;s discovery document http:\/\/127\.0\.0\.1:9\/\.well-known\/openid-configuration could not be read/);
  t.equal((await client.signInWithToken(down.approverToken)).status, 303, 'token sign-in still works');
});

t.test('ID tokens with a wrong audience or issuer, or expired, are refused', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ aud: 'another-client' }, /the ID token&#39;s aud claim is not accepted/],
    [{ iss: 'https://impostor.example' }, /the ID token&#39;s iss claim is not accepted/],
    [{ exp: now - 600, iat: now - 900 }, /the ID token has expired/],
    [{ aud: ['gitgate-ui', 'other'], azp: 'other' }, /azp claim does not name this gateway/],
  ];
  for (const [claims, message] of cases) {
    issuer.overrideIdTokens(claims);
    const client = new CookieClient(fx.url);
    const callback = await throughIssuer(client);
    const refused = await client.request(new URL(callback).pathname + new URL(callback).search);
    t.equal(refused.status, 401, JSON.stringify(claims));
    t.match(await refused.text(), message);
    t.equal((await client.request('/ui')).status, 303, 'not signed in');
  }
  issuer.overrideIdTokens(undefined);
});

t.test('an ID token signed with an algorithm the gateway does not allow is refused', async (t) => {
  const strict = await startWebUiFixture({ oidc: { issuer: issuer.issuer, client_id: 'gitgate-strict', algorithms: ['ES256'] } });
  t.teardown(() => strict.close());
  issuer.registerClient({ clientId: 'gitgate-strict', redirectUri: `${strict.url}/ui/login/oidc/callback` });
  const client = new CookieClient(strict.url);
  const start = await client.request('/ui/login/oidc');
  const form = new URLSearchParams(new URL(start.headers.get('location')!).searchParams);
  form.set('username', 'alice');
  form.set('action', 'login');
  const back = await fetch(new URL('/authorize', issuer.issuer), { method: 'POST', body: form, redirect: 'manual' });
  const callback = new URL(back.headers.get('location')!);
  const refused = await client.request(callback.pathname + callback.search);
  t.equal(refused.status, 401);
  t.match(await refused.text(), /signed with an algorithm this gateway does not accept/);
});
