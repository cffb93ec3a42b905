import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CookieClient, createHostileRequest, HOSTILE, startWebUiFixture, type WebUiFixture } from './web-test-fixtures.js';

let fx: WebUiFixture;
t.before(async () => {
  fx = await startWebUiFixture({ session_ttl_seconds: 3600, session_idle_seconds: 600 });
});
t.teardown(() => fx.close());

t.test('pages need a session: /ui sends the browser to sign in and back', async (t) => {
  const client = new CookieClient(fx.url);
  const response = await client.request('/ui/approvals/apr_x?tab=1');
  t.equal(response.status, 303);
  t.equal(response.headers.get('location'), '/ui/login?next=%2Fui%2Fapprovals%2Fapr_x%3Ftab%3D1');
  const post = await client.request('/ui/approvals/apr_x/approve', { form: { csrf: 'x' } });
  t.equal(post.status, 401, 'a form without a session is refused');
});

t.test('login page: secure headers, HttpOnly SameSite=Lax cookie, CSRF token; agent and unknown tokens refused', async (t) => {
  const client = new CookieClient(fx.url);
  const login = await client.request('/ui/login');
  t.equal(login.status, 200);
  t.match(login.headers.get('content-security-policy'), /default-src 'none'; style-src 'self'.*form-action 'self'; frame-ancestors 'none'/);
  t.equal(login.headers.get('x-frame-options'), 'DENY');
  t.match(client.lastSetCookie[0], /^gitgate_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/);
  const html = await login.text();
  t.match(html, /<label for="token">Token<\/label>/);
  const csrf = CookieClient.csrfOf(html);
  t.ok(csrf.length >= 43);
  const agent = await client.request('/ui/login/token', { form: { csrf, token: fx.agentToken, next: '/ui' } });
  t.equal(agent.status, 401);
  t.match(await agent.text(), /That is an agent token; only tokens of kind human can sign in/);
  const wrong = await client.request('/ui/login/token', { form: { csrf, token: 'ggt_aaaaaaaa_' + 'x'.repeat(32), next: '/ui' } });
  t.equal(wrong.status, 401);
  const noCsrf = await client.request('/ui/login/token', { form: { token: fx.approverToken } });
  t.equal(noCsrf.status, 403, 'the login form needs its CSRF token too');
});

t.test('token sign-in rotates the session id; the list shows the pending request', async (t) => {
  const request = await createHostileRequest(fx.approvals);
  const client = new CookieClient(fx.url);
  await client.request('/ui/login');
  const before = client.jar.get('gitgate_session');
  const signedIn = await client.signInWithToken(fx.approverToken, `/ui/approvals/${request.id}`);
  t.equal(signedIn.status, 303);
  t.equal(signedIn.headers.get('location'), `/ui/approvals/${request.id}`);
  t.not(client.jar.get('gitgate_session'), before, 'a new session id after sign-in (no fixation)');
  const list = await (await client.request('/ui')).text();
  t.match(list, new RegExp(`<a href="/ui/approvals/${request.id}">`));
  t.match(list, /Signed in as <strong>alice<\/strong>/);
});

t.test('the request page escapes everything the pusher controls and shows diff, findings and reasons', async (t) => {
  const request = await createHostileRequest(fx.approvals);
  const client = new CookieClient(fx.url);
  await client.signInWithToken(fx.approverToken);
  const response = await client.request(`/ui/approvals/${request.id}`);
  t.equal(response.status, 200);
  const html = await response.text();
  t.notMatch(html, /<script/i, 'no script element at all');
  t.notMatch(html, /<img/i);
  t.notMatch(html, /<em>now/);
  t.match(html, 'Fix &lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt; &quot;quotes&quot; &amp; &lt;b&gt;bold&lt;/b&gt;');
  t.match(html, 'src/&lt;img src=x onerror=alert(1)&gt;.js');
  t.match(html, "+console.log(&#39;&lt;script&gt;document.cookie&lt;/script&gt;&#39;);");
  t.match(html, "-console.log(&#39;hello&#39;);");
  t.match(html, "+console.log(&#39;hello, world&#39;);");
  t.match(html, 'ghp_… (40 chars)');
  t.match(html, 'changes under src/ on main need review &lt;em&gt;now&lt;/em&gt;');
  t.match(html, /<code>refs\/heads\/main<\/code><\/td><td>update<\/td>/);
  t.match(html, /<label for="deny-reason">/);
  t.match(html, /An approval covers exactly these ref changes by agent-7: <code>refs\/heads\/main<\/code> a{12}\.\.c{12} ; other commits need a new approval/);
  t.match(html, '<a href="#file-0"><code>src/&lt;img src=x onerror=alert(1)&gt;.js</code></a>', 'a jump list of the files in the diff');
  void HOSTILE;
});

t.test('decisions: CSRF token required, deny needs a reason, approve recorded', async (t) => {
  const request = await createHostileRequest(fx.approvals);
  const client = new CookieClient(fx.url);
  await client.signInWithToken(fx.approverToken);
  const page = await (await client.request(`/ui/approvals/${request.id}`)).text();
  const csrf = CookieClient.csrfOf(page);
  const forged = await client.request(`/ui/approvals/${request.id}/approve`, { form: { reason: 'lgtm' } });
  t.equal(forged.status, 403);
  t.match(await forged.text(), /missing or wrong CSRF token/);
  const crossOrigin = await client.request(`/ui/approvals/${request.id}/approve`, { form: { csrf, reason: 'x' }, headers: { origin: 'https://evil.example' } });
  t.equal(crossOrigin.status, 403, 'a form from another origin is refused even with the token');
  t.equal((await client.request(`/ui/approvals/${request.id}/approve`, { form: { csrf }, headers: { origin: 'not a url' } })).status, 403, 'a malformed Origin too');
  t.equal((await client.request(`/ui/approvals/${request.id}/approve`, { form: { csrf }, headers: { 'sec-fetch-site': 'cross-site' } })).status, 403, 'and Sec-Fetch-Site: cross-site');
  t.equal((await fx.approvals.get(request.id)).state, 'pending');
  const noReason = await client.request(`/ui/approvals/${request.id}/deny`, { form: { csrf, reason: ' ' } });
  t.equal(noReason.status, 400);
  t.match(await noReason.text(), /role="alert"/);
  const approve = await client.request(`/ui/approvals/${request.id}/approve`, { form: { csrf, reason: 'reviewed <ok>' } });
  t.equal(approve.status, 303);
  t.equal(approve.headers.get('location'), `/ui/approvals/${request.id}?done=approve`);
  const after = await fx.approvals.get(request.id);
  t.equal(after.state, 'approved');
  t.match(after.approvals[0], { approver: { subject: 'alice', authentication: 'token' }, reason: 'reviewed <ok>' });
  const shown = await (await client.request(`/ui/approvals/${request.id}?done=approve`)).text();
  t.match(shown, 'Your approval is recorded.');
  t.match(shown, 'reviewed &lt;ok&gt;');
});

t.test('outside the groups of a request it is not even visible; the pusher cannot approve; a member denies with a reason', async (t) => {
  const request = await createHostileRequest(fx.approvals);
  const outsider = new CookieClient(fx.url);
  await outsider.signInWithToken(fx.outsiderToken);
  const list = await (await outsider.request('/ui')).text();
  t.notMatch(list, request.id);
  t.equal((await outsider.request(`/ui/approvals/${request.id}`)).status, 404);
  const tried = await outsider.request(`/ui/approvals/${request.id}/approve`, { form: { csrf: CookieClient.csrfOf(list) } });
  t.equal(tried.status, 404);
  const pusher = new CookieClient(fx.url);
  await pusher.signInWithToken(fx.tokens.create('agent-7', ['production-review'], 'human').token);
  const own = await (await pusher.request(`/ui/approvals/${request.id}`)).text();
  t.match(own, /You cannot approve: agent-7 pushed these commits and cannot approve them/);
  const selfApproval = await pusher.request(`/ui/approvals/${request.id}/approve`, { form: { csrf: CookieClient.csrfOf(own), reason: 'mine' } });
  t.equal(selfApproval.status, 403);
  t.match(await selfApproval.text(), /role="alert">agent-7 pushed these commits and cannot approve them/);
  const member = new CookieClient(fx.url);
  await member.signInWithToken(fx.approverToken);
  const csrf = CookieClient.csrfOf(await (await member.request(`/ui/approvals/${request.id}`)).text());
  t.equal((await member.request(`/ui/approvals/${request.id}/deny`, { form: { csrf, reason: 'touches prod config' } })).status, 303);
  t.match(await fx.approvals.get(request.id), { state: 'denied', denial: { reason: 'touches prod config', by: { subject: 'alice' } } });
});

t.test('sign out ends the session; an idle or expired session sends back to sign in', async (t) => {
  const client = new CookieClient(fx.url);
  await client.signInWithToken(fx.approverToken);
  const cookie = client.jar.get('gitgate_session');
  const page = await (await client.request('/ui')).text();
  const out = await client.request('/ui/logout', { form: { csrf: CookieClient.csrfOf(page) } });
  t.equal(out.status, 303);
  t.equal(out.headers.get('location'), '/ui/login?signed_out=1');
  t.match(client.lastSetCookie[0], /^gitgate_session=; .*Max-Age=0/);
  const replay = new CookieClient(fx.url);
  replay.jar.set('gitgate_session', cookie!);
  t.equal((await replay.request('/ui')).status, 303, 'the old cookie no longer works');

  const idle = new CookieClient(fx.url);
  await idle.signInWithToken(fx.approverToken);
  t.equal((await idle.request('/ui')).status, 200);
  fx.clock.now += 601_000;
  const expired = await idle.request('/ui');
  t.equal(expired.status, 303);
  t.equal(expired.headers.get('location'), '/ui/login?next=%2Fui&expired=1');
  t.match(await (await idle.request('/ui/login?next=%2Fui&expired=1')).text(), /Your session ended; sign in again./);
});

t.test('the REST API accepts the session cookie, and needs X-CSRF-Token to change anything', async (t) => {
  const client = new CookieClient(fx.url);
  await client.signInWithToken(fx.approverToken);
  const page = await (await client.request('/ui')).text();
  const cookie = `gitgate_session=${client.jar.get('gitgate_session')}`;
  const get = (method: string, headers: Record<string, string> = {}) =>
    fx.ui.authenticator.authenticate({ method, headers: { cookie, ...headers } } as unknown as import('node:http').IncomingMessage);
  t.match(await get('GET'), { kind: 'identity', identity: { subject: 'alice', kind: 'human', groups: ['production-review'] } });
  t.match(await get('POST'), { kind: 'invalid', message: /X-CSRF-Token/ });
  t.match(await get('POST', { 'x-csrf-token': CookieClient.csrfOf(page) }), { kind: 'identity' });
  t.match(await fx.ui.authenticator.authenticate({ method: 'GET', headers: {} } as unknown as import('node:http').IncomingMessage), { kind: 'none' });
});

t.test('unknown pages, the stylesheet, open redirects', async (t) => {
  const client = new CookieClient(fx.url);
  const css = await client.request('/ui/assets/style.css');
  t.equal(css.status, 200);
  t.match(css.headers.get('content-type'), /text\/css/);
  await client.signInWithToken(fx.approverToken);
  t.equal((await client.request('/ui/nothing')).status, 404);
  t.equal((await client.request('/ui/approvals/apr_doesnotexist')).status, 404);
  const evil = await client.signInWithToken(fx.approverToken, 'https://evil.example/');
  t.equal(evil.headers.get('location'), '/ui');
  const protocolRelative = await client.signInWithToken(fx.approverToken, '//evil.example/ui');
  t.equal(protocolRelative.headers.get('location'), '/ui');
});

t.test('when the approval store fails, the page says so and the UI keeps serving', async (t) => {
  const broken = await startWebUiFixture();
  t.teardown(() => broken.close());
  const client = new CookieClient(broken.url);
  await client.signInWithToken(broken.approverToken);
  const requests = join(broken.root, 'approvals', 'requests');
  rmSync(requests, { recursive: true, force: true });
  writeFileSync(requests, 'not a directory');
  const page = await client.request('/ui');
  t.equal(page.status, 503);
  t.match(await page.text(), /the approval store could not list requests \(ENOTDIR\) \(APPROVAL_STORE_FAILED\); nothing was changed/);
  t.equal((await client.request('/ui/assets/style.css')).status, 200);
});
