import t, { type Test } from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startOidcIssuer, type TestOidcIssuer } from '../../testdata/oidc-issuer.js';
import { startSamlIdp, type TestSamlIdp } from '../../testdata/saml-idp.js';
import type { ApprovalRequest } from '../approvals/index.js';
import { accessibilityProblems, artifactPath, launchChromium, newBrowserContext } from './browser.js';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';

// The approver's side with the real git CLI and real headless Chromium: a push to main touching
// src/ is held; an approver signs in through the UI (OIDC or SAML) and decides; the push finishes.
const git = new GitClient();
const SP_ENTITY_ID = 'urn:gitgate:e2e';
let browser: Browser;
let issuer: TestOidcIssuer;
let idp: TestSamlIdp;
let harness: GatewayHarness;
let work: string;

t.before(async () => {
  [browser, issuer, idp] = await Promise.all([launchChromium(), startOidcIssuer(), startSamlIdp()]);
  const idpDir = mkdtempSync(join(tmpdir(), 'gitgate-idp-'));
  writeFileSync(join(idpDir, 'idp-metadata.xml'), idp.metadataXml);
  harness = await startHarness([], undefined, {
    approvals: { hold_seconds: 90, progress_interval_seconds: 1 },
    web: {
      oidc: { issuer: issuer.issuer, client_id: 'gitgate-ui', label: 'Test OIDC', algorithms: ['RS256'] },
      saml: { idp_metadata_file: join(idpDir, 'idp-metadata.xml'), sp_entity_id: SP_ENTITY_ID, groups_attribute: 'groups', name_attribute: 'displayName', label: 'Test SAML' },
    },
  });
  const url = harness.gateway.url;
  issuer.registerClient({ clientId: 'gitgate-ui', redirectUri: `${url}/ui/login/oidc/callback` });
  issuer.addUser('alice', { sub: 'alice', name: 'Alice Approver', email: 'alice@example.com', groups: ['production-review'] });
  idp.registerServiceProvider({ entityId: SP_ENTITY_ID, acsUrl: `${url}/ui/login/saml/acs` });
  idp.addUser('carol', { nameId: 'carol@example.com', displayName: 'Carol Reviewer', groups: ['production-review'] });
  work = await git.cloneAsAgent(harness.remote('demo/hello'), join(harness.root, 'clone'));
});
t.teardown(async () => {
  await browser?.close();
  await harness?.close();
  await issuer?.close();
  await idp?.close();
});

const commitFile = (path: string, content: string, message: string): Promise<string> => git.commitFile(work, path, content, message);

const upstreamMain = async () => (await git.ok(['--git-dir', join(harness.upstreamDir, 'demo/hello.git'), 'rev-parse', 'refs/heads/main'], harness.root)).trim();

/** The pending request of a push of `head`, once the gateway has opened it. */
async function pendingFor(head: string): Promise<ApprovalRequest> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = (await harness.gateway.approvals.service.list({ state: 'pending' })).find((r) => r.refs.some((ref) => ref.new === head));
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no pending approval request for ${head}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A fresh browser profile; at the end, no Content-Security-Policy violation on a gitgate page. */
async function newPage(t: Test): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
  const context = await newBrowserContext(browser);
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text()) && page.url().startsWith(harness.gateway.url)) violations.push(message.text());
  });
  t.teardown(async () => {
    await context.close();
  });
  return { context, page, violations };
}

t.test('a held push completes once an approver signs in with OIDC and approves it in the browser', async (t) => {
  const head = await commitFile('src/feature.js', "export const feature = '<b>on</b>';\n", 'Add the feature flag <script>alert(1)</script>');
  const pushing = git.run(['push', 'origin', 'main'], work);
  const request = await pendingFor(head);
  const { page, violations } = await newPage(t);

  await page.goto(`${harness.gateway.url}/ui`);
  t.match(page.url(), /\/ui\/login\?next=%2Fui$/, 'sent to sign in first');
  t.same(await accessibilityProblems(page), [], 'login page: accessible basics');
  await page.getByRole('link', { name: 'Sign in with Test OIDC' }).click();
  await page.getByLabel('User name').fill('alice');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${harness.gateway.url}/ui`);
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Pushes waiting for approval');
  t.match(await page.locator('header').textContent(), /Signed in as Alice Approver/);
  t.same(await accessibilityProblems(page), [], 'list page: accessible basics');

  await page.getByRole('link', { name: request.id }).click();
  await page.waitForURL(`${harness.gateway.url}/ui/approvals/${request.id}`);
  const body = (await page.locator('main').textContent()) ?? '';
  t.match(body, 'Push to demo/hello');
  t.match(body, 'refs/heads/main');
  t.match(body, 'Add the feature flag <script>alert(1)</script>', 'the commit message is shown as text');
  t.match(body, "+export const feature = '<b>on</b>';", 'the diff of src/feature.js');
  t.match(body, /production-review \(refs\/heads\/main\): .*changes production paths: src\/feature\.js/, 'the policy reason');
  t.equal(await page.locator('main script, main b').count(), 0, 'pushed content never becomes markup');
  t.same(await accessibilityProblems(page), [], 'request page: accessible basics');
  await page.screenshot({ path: artifactPath('approval-request-page.png'), fullPage: true });

  t.equal(await upstreamMain() === head, false, 'nothing landed before the approval');
  await page.getByLabel('Reason (optional)').fill('Reviewed in the browser');
  await page.getByRole('button', { name: 'Approve this push' }).click();
  await page.waitForURL(`${harness.gateway.url}/ui/approvals/${request.id}?done=approve`);
  t.match(await page.getByRole('status').textContent(), 'Your approval is recorded.');

  const push = await pushing;
  t.equal(push.code, 0, push.stderr);
  t.match(push.stderr, /remote: gitgate: approved by alice; forwarding the push/);
  t.equal(await upstreamMain(), head, 'the held push landed');
  const used = await harness.gateway.approvals.service.get(request.id);
  t.match(used.approvals[0], { approver: { subject: 'alice', issuer: issuer.issuer, authentication: 'oidc' }, reason: 'Reviewed in the browser' });
  t.same(violations, [], 'no Content-Security-Policy violation on gitgate pages');
});

t.test('an approver signed in with SAML denies with a reason; the held push fails with it', async (t) => {
  const before = await upstreamMain();
  const head = await commitFile('src/risky.js', 'process.exit(1)\n', 'Risky change');
  const pushing = git.run(['push', 'origin', 'main'], work);
  const request = await pendingFor(head);
  const { page, violations } = await newPage(t);

  await page.goto(`${harness.gateway.url}/ui/approvals/${request.id}`);
  await page.getByRole('link', { name: 'Sign in with Test SAML' }).click();
  await page.getByLabel('User name').fill('carol');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${harness.gateway.url}/ui/approvals/${request.id}`);
  t.match(await page.locator('header').textContent(), /Signed in as Carol Reviewer \(saml; production-review\)/);

  await page.getByLabel('Reason (required; the pusher sees it)').fill('exits the process on start');
  await page.getByRole('button', { name: 'Deny this push' }).click();
  await page.waitForURL(/done=deny$/);
  t.match(await page.locator('main').textContent(), /Denied by Carol Reviewer on .*: exits the process on start/);

  const push = await pushing;
  t.not(push.code, 0);
  t.match(push.stderr, new RegExp(`remote: gitgate: approval request ${request.id} was DENIED by carol@example.com: exits the process on start`));
  t.equal(await upstreamMain(), before);
  t.same(violations, []);
  await git.ok(['reset', '-q', '--hard', 'HEAD~1'], work);
});

t.test('a form posted from another site is refused: no cookie (SameSite=Lax) and no CSRF token', async (t) => {
  const head = await commitFile('src/csrf.js', 'csrf\n', 'CSRF target');
  const pushing = git.run(['push', 'origin', 'main'], work);
  const request = await pendingFor(head);
  const { context, page, violations } = await newPage(t);
  await page.goto(`${harness.gateway.url}/ui`);
  await page.getByLabel('Token', { exact: true }).fill(harness.gateway.tokens.create('dave', ['production-review'], 'human').token);
  await page.getByLabel('Token', { exact: true }).press('Enter'); // keyboard only
  await page.waitForURL(`${harness.gateway.url}/ui`);

  // An attacker's page on another site (localhost is not the same site as 127.0.0.1).
  const approveUrl = `${harness.gateway.url}/ui/approvals/${request.id}/approve`;
  const evil: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(`<form id="f" method="post" action="${approveUrl}"><input name="reason" value="pwned"></form><script>document.getElementById('f').submit()</script>`);
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => evil.close(() => resolve())));
  const landed = page.waitForResponse((response) => response.url() === approveUrl);
  await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
  const response = await landed;
  t.ok([401, 403].includes(response.status()), `refused with ${response.status()}`);

  // Same browser, same cookies, but no token: refused as well.
  const noToken = await context.request.post(approveUrl, { form: { reason: 'no token' }, maxRedirects: 0 });
  t.equal(noToken.status(), 403);
  t.match(await noToken.text(), /missing or wrong CSRF token/);
  t.equal((await harness.gateway.approvals.service.get(request.id)).state, 'pending', 'nothing was decided');

  await harness.gateway.approvals.service.cancel(request.id, { subject: 'dave', issuer: 'gitgate:static-tokens', groups: ['production-review'], kind: 'human', authentication: 'token' }, 'test over');
  t.not((await pushing).code, 0);
  t.same(violations, []);
  await git.ok(['reset', '-q', '--hard', 'HEAD~1'], work);
});

t.test('sign out in the browser ends the session', async (t) => {
  const { page, violations } = await newPage(t);
  await page.goto(`${harness.gateway.url}/ui/login`);
  await page.getByLabel('Token', { exact: true }).fill(harness.gateway.tokens.create('erin', ['production-review'], 'human').token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${harness.gateway.url}/ui`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/ui\/login\?signed_out=1$/);
  t.match(await page.getByRole('status').textContent(), 'You are signed out.');
  await page.goto(`${harness.gateway.url}/ui`);
  t.match(page.url(), /\/ui\/login\?next=%2Fui$/, 'the pages need a new sign-in');
  t.same(violations, []);
});

t.test('an admin filters the audit timeline in the browser and opens a request with all its events', async (t) => {
  const { page, violations } = await newPage(t);
  await page.goto(`${harness.gateway.url}/ui/login?next=%2Fui%2Faudit`);
  await page.getByLabel('Token', { exact: true }).fill(harness.gateway.tokens.create('sec-team', ['gitgate-admins'], 'human').token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${harness.gateway.url}/ui/audit`);
  t.match(await page.getByRole('status').textContent(), /Chain verified: \d+ events/);
  await page.getByLabel('Decision').selectOption('approval');
  await page.getByLabel('Identity (subject)').fill('agent-1');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/decision=approval/);
  const rows = page.locator('tbody tr');
  t.ok((await rows.count()) >= 2, 'the held pushes of the tests above');
  for (const decision of await page.locator('tbody tr td:nth-child(6)').allTextContents()) t.equal(decision, 'approval');
  t.same(await accessibilityProblems(page), [], 'audit page: accessible basics');
  await page.screenshot({ path: artifactPath('audit-timeline.png'), fullPage: true });
  await rows.first().getByRole('link').click();
  await page.waitForURL(/\/ui\/audit\/requests\//);
  const types = await page.locator('main h2').allTextContents();
  t.match(types.join('\n'), /request\.received[\s\S]*authentication[\s\S]*policy\.decision/);
  t.same(violations, []);
});
