import t, { type Test } from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startOidcIssuer, type TestOidcIssuer } from '../../testdata/oidc-issuer.js';
import { launchChromium, newBrowserContext } from './browser.js';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';

// In real headless Chromium: a push not decided within its hold is quarantined; the pusher sees it
// but cannot approve it; two approvers approve at the same moment from two browsers; gitgate then
// forwards the quarantined push itself and the request page says so.
const git = new GitClient();
let browser: Browser;
let issuer: TestOidcIssuer;
let harness: GatewayHarness;

t.before(async () => {
  [browser, issuer] = await Promise.all([launchChromium(), startOidcIssuer()]);
  const twoApprovers = { gitgate: { config: { production: { approvals_required: 2 } } } };
  harness = await startHarness([], twoApprovers, {
    approvals: { hold_seconds: 2, progress_interval_seconds: 1 },
    web: { oidc: { issuer: issuer.issuer, client_id: 'gitgate-ui', label: 'Test OIDC', algorithms: ['RS256'] } },
  });
  issuer.registerClient({ clientId: 'gitgate-ui', redirectUri: `${harness.gateway.url}/ui/login/oidc/callback` });
  issuer.addUser('alice', { sub: 'alice', name: 'Alice', groups: ['production-review'] });
  issuer.addUser('bob', { sub: 'bob', name: 'Bob', groups: ['production-review'] });
  issuer.addUser('agent-1', { sub: 'agent-1', name: 'The pusher, as a person', groups: ['production-review'] });
});
t.teardown(async () => {
  await browser?.close();
  await harness?.close();
  await issuer?.close();
});

/** A new browser profile signed in through the OIDC issuer as `username`, on `path`. */
async function signedIn(t: Test, username: string, path: string): Promise<Page> {
  const context = await newBrowserContext(browser);
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.goto(`${harness.gateway.url}${path}`);
  await page.getByRole('link', { name: 'Sign in with Test OIDC' }).click();
  await page.getByLabel('User name').fill(username);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${harness.gateway.url}${path}`);
  return page;
}

t.test('quarantined, then approved by two people at once in two browsers, then forwarded by gitgate', async (t) => {
  const work = join(harness.root, 'clone');
  await git.ok(['clone', '-q', harness.remote('demo/hello'), work], harness.root);
  mkdirSync(join(work, 'src'), { recursive: true });
  writeFileSync(join(work, 'src', 'late.js'), 'approved after the hold\n');
  await git.ok(['add', '.'], work);
  await git.ok(['-c', 'user.name=Agent One', '-c', 'user.email=agent-1@example.com', 'commit', '-q', '-m', 'Late change'], work);
  const head = (await git.ok(['rev-parse', 'HEAD'], work)).trim();
  const upstreamMain = async () => (await git.ok(['--git-dir', join(harness.upstreamDir, 'demo/hello.git'), 'rev-parse', 'refs/heads/main'], harness.root)).trim();
  const before = await upstreamMain();

  const push = await git.run(['push', 'origin', 'main'], work);
  t.not(push.code, 0, 'not decided within the 2 s hold');
  const id = /quarantined as (apr_[a-z2-7]{20})/.exec(push.stderr)?.[1];
  t.ok(id, push.stderr);
  const path = `/ui/approvals/${id}`;

  const pusher = await signedIn(t, 'agent-1', path);
  t.match(await pusher.locator('main').textContent(), /quarantined: gitgate forwards it when approved/);
  t.match(await pusher.locator('main').textContent(), /You cannot approve: agent-1 pushed these commits and cannot approve them/);
  t.equal(await pusher.getByRole('button', { name: 'Approve this push' }).count(), 0, 'no approve button for the pusher');

  const [alice, bob] = await Promise.all([signedIn(t, 'alice', path), signedIn(t, 'bob', path)]);
  t.match(await alice.locator('main').textContent(), /production-review: 0 of 2/);
  await alice.getByLabel('Reason (optional)').fill('ok from alice');
  await bob.getByLabel('Reason (optional)').fill('ok from bob');
  await Promise.all([alice.getByRole('button', { name: 'Approve this push' }).click(), bob.getByRole('button', { name: 'Approve this push' }).click()]);
  await Promise.all([alice.waitForURL(/done=approve$/), bob.waitForURL(/done=approve$/)]);

  // The ref moves upstream a moment before the forward's result is stored on the request: wait for both.
  const deadline = Date.now() + 60_000;
  const forwarded = async () => (await upstreamMain()) === head && (await harness.gateway.approvals.service.get(id!)).forward !== undefined;
  while (!(await forwarded()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  t.not(before, head);
  t.equal(await upstreamMain(), head, 'gitgate forwarded the quarantined push');
  await alice.reload();
  const page = (await alice.locator('main').textContent()) ?? '';
  t.match(page, /Approved by Alice for production-review on .*: ok from alice/);
  t.match(page, /Approved by Bob for production-review on .*: ok from bob/);
  t.match(page, /Forwarded by gitgate: forwarded\. unpack ok; ok refs\/heads\/main/);
  t.match(page, /This request is used; there is nothing to decide\./);
});
