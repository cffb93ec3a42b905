import t from 'tap';
import { randomInt } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApprovalsClient, ApprovalsClientError } from '../approvals/approvals-client.js';
import { listAuditEvents } from '../audit/index.js';
import type { ApprovalRequest } from '../approvals/approval-types.js';
import { GitClient, type GitResult } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';

// Held pushes with the real git CLI against a file upstream: approval over the REST API, denial,
// self-approval, binding to the exact commits, two approvers at once.
const git = new GitClient();
let harness: GatewayHarness;
let work: string;
let alice: ApprovalsClient;
let bob: ApprovalsClient;
let carol: ApprovalsClient;
let agentApi: ApprovalsClient;

t.before(async () => {
  harness = await startHarness([], undefined, { approvals: { hold_seconds: 60, progress_interval_seconds: 1 } });
  const url = harness.gateway.url;
  alice = new ApprovalsClient({ baseUrl: url, token: harness.gateway.tokens.create('alice', ['production-review'], 'human').token });
  bob = new ApprovalsClient({ baseUrl: url, token: harness.gateway.tokens.create('bob', ['production-review'], 'human').token });
  carol = new ApprovalsClient({ baseUrl: url, token: harness.gateway.tokens.create('carol', ['frontend'], 'human').token });
  agentApi = new ApprovalsClient({ baseUrl: url, token: harness.token });
  work = await git.cloneAsAgent(harness.remote('demo/hello'), join(harness.root, 'work', 'clone'));
});
t.teardown(() => harness.close());

const commitFile = (path: string, content: string, message: string): Promise<string> => git.commitFile(work, path, content, message);

async function upstreamRef(ref: string): Promise<string> {
  return (await git.run(['--git-dir', join(harness.upstreamDir, 'demo/hello.git'), 'rev-parse', '--verify', '-q', ref], harness.root)).stdout.trim();
}

/** The pending request for a commit, once the held push has opened it (fails fast if the push ended). */
async function pendingFor(commit: string, client = alice, pushing?: Promise<GitResult>): Promise<ApprovalRequest> {
  let ended: GitResult | undefined;
  void pushing?.then((result) => (ended = result));
  for (let i = 0; i < 300; i++) {
    if (ended !== undefined) throw new Error(`the push ended (exit ${ended.code}) before a request was opened:\n${ended.stderr}`);
    const found = (await client.list({ state: 'pending' })).find((r) => r.refs.some((ref) => ref.new === commit));
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no pending approval request for ${commit}`);
}

async function rejected(promise: Promise<unknown>): Promise<ApprovalsClientError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApprovalsClientError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

t.test('a held push to main touching src/ completes once approved over the REST API', async (t) => {
  const before = await upstreamRef('refs/heads/main');
  const head = await commitFile('src/feature.js', "export const feature = 'on';\n", 'Add the feature flag');
  const pushing: Promise<GitResult> = git.run(['push', 'origin', 'main'], work);
  const request = await pendingFor(head, alice, pushing);
  t.equal(request.repository, 'demo/hello');
  t.equal(request.pusher.subject, 'agent-1');
  t.same(request.refs.map((r) => [r.ref, r.old, r.new]), [['refs/heads/main', before, head]]);
  t.equal(request.requirements[0]?.group, 'production-review');
  t.equal(request.commits[0]?.id, head);
  t.same(request.files.map((f) => f.path), ['src/feature.js']);
  t.equal(request.delivery, 'held');
  t.match(request.url, new RegExp(`/ui/approvals/${request.id}$`));
  t.equal(await upstreamRef('refs/heads/main'), before, 'nothing lands before the approval');

  const files = await alice.files(request.id);
  t.same(files, [{ ref: 'refs/heads/main', path: 'src/feature.js', status: 'added', new_text: "export const feature = 'on';\n" }], 'the new text for the diff');
  const detail = await alice.show(request.id);
  t.same(detail.progress, [{ group: 'production-review', required: 1, given: 0 }]);
  t.equal(detail.can.approve.allowed, true);

  await new Promise((resolve) => setTimeout(resolve, 1500)); // let a progress line or two go out
  const approved = await alice.approve(request.id, 'looks right');
  t.equal(approved.state, 'approved');
  const push = await pushing;
  t.equal(push.code, 0, push.stderr);
  t.match(push.stderr, new RegExp(`remote: gitgate: approval request ${request.id} needs 1 approver\\(s\\) of production-review`));
  t.match(push.stderr, new RegExp(`remote: gitgate: approve or deny at http://127\\.0\\.0\\.1:\\d+/ui/approvals/${request.id}`));
  t.match(push.stderr, /remote: gitgate: still waiting for approval/);
  t.match(push.stderr, /remote: gitgate: approved by alice; forwarding the push/);
  t.match(push.stderr, /main -> main/);
  t.equal(await upstreamRef('refs/heads/main'), head, 'main moved once approved');
  const used = (await alice.show(request.id)).approval;
  t.equal(used.state, 'used');
  t.same(
    used.history.map((h) => [h.event, h.by.subject]),
    [
      ['requested', 'agent-1'],
      ['approval-given', 'alice'],
      ['approved', 'alice'],
      ['used', 'gitgate'],
    ],
  );
  t.equal(used.approvals[0]?.reason, 'looks right');
  // The lifecycle is in the tamper-evident audit log too, with who and why.
  let audited: Awaited<ReturnType<typeof listAuditEvents>> = [];
  for (let i = 0; i < 50 && audited.length < 3; i++) {
    audited = (await listAuditEvents(harness.gateway.audit.store)).filter((e) => e.type.startsWith('approval.') && e.data['approval_id'] === request.id);
    if (audited.length < 3) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.same(audited.map((e) => [e.type, e.actor?.subject ?? 'gitgate', e.repository]), [
    ['approval.requested', 'agent-1', 'demo/hello'],
    ['approval.approved', 'alice', 'demo/hello'],
    ['approval.used', 'gitgate', 'demo/hello'],
  ]);
  t.equal(audited[1]?.data['reason'], 'looks right; every required group approved');
  const forward = (await listAuditEvents(harness.gateway.audit.store)).find((e) => e.type === 'upstream.forward' && e.data['approval_id'] === request.id);
  t.ok(forward, 'the forward of the held push is in the audit log with its approval');
  let result: Awaited<ReturnType<typeof listAuditEvents>>[number] | undefined;
  for (let i = 0; i < 50 && result === undefined; i++) {
    result = (await listAuditEvents(harness.gateway.audit.store)).find((e) => e.type === 'upstream.result' && e.request_id === forward?.request_id);
    if (result === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.match(result?.data, { status: 200, unpack: 'ok', refs: [{ ref: 'refs/heads/main' }] }, 'and its outcome');
  t.same(audited[1]?.data['approvals'], [{ approver: 'alice', issuer: 'gitgate:static-tokens', group: 'production-review', at: used.approvals[0]?.at, reason: 'looks right' }]);
});

t.test('a denied push is refused with the approver\'s reason', async (t) => {
  const before = await upstreamRef('refs/heads/main');
  const head = await commitFile('src/risky.js', 'rm -rf /\n', 'Risky change');
  const pushing = git.run(['push', 'origin', 'main'], work);
  const request = await pendingFor(head, alice, pushing);
  const error = await rejected(alice.deny(request.id, ''));
  t.equal(error.code, 'APPROVAL_REASON_REQUIRED');
  const denied = await alice.deny(request.id, 'do not delete the disk');
  t.equal(denied.state, 'denied');
  const push = await pushing;
  t.not(push.code, 0);
  t.match(push.stderr, new RegExp(`remote: gitgate: approval request ${request.id} was DENIED by alice: do not delete the disk`));
  t.match(push.stderr, /! \[remote rejected\] main -> main \(gitgate: denied by alice\)/);
  t.equal(await upstreamRef('refs/heads/main'), before);
  t.equal((await rejected(alice.approve(request.id))).code, 'APPROVAL_NOT_PENDING', 'a decided request stays decided');
  await git.ok(['reset', '-q', '--hard', 'HEAD~1'], work);
});

t.test('nobody approves their own push; only the group approves; agents never approve', async (t) => {
  const head = await commitFile('src/self.js', 'self\n', 'Self approval attempt');
  const pushing = git.run(['push', 'origin', 'main'], work);
  const request = await pendingFor(head, alice, pushing);
  // The pusher's token belongs to group "agents": not an approver, not human, and the pusher.
  const self = await rejected(agentApi.approve(request.id, 'me'));
  t.equal(self.code, 'APPROVAL_SELF_APPROVAL');
  t.equal(self.status, 403);
  const selfHuman = new ApprovalsClient({ baseUrl: harness.gateway.url, token: harness.gateway.tokens.create('agent-1', ['production-review'], 'human').token });
  t.equal((await rejected(selfHuman.approve(request.id, 'it is me, but human'))).code, 'APPROVAL_SELF_APPROVAL', 'same subject under another token');
  t.equal((await rejected(carol.approve(request.id))).code, 'APPROVAL_NOT_FOUND', 'outside the group the request is not even visible');
  const robot = new ApprovalsClient({ baseUrl: harness.gateway.url, token: harness.gateway.tokens.create('review-bot', ['production-review'], 'agent').token });
  t.equal((await rejected(robot.approve(request.id))).code, 'APPROVAL_NOT_HUMAN');
  t.equal((await rejected(new ApprovalsClient({ baseUrl: harness.gateway.url, token: 'ggt_aaaaaaaa_notavalidtokennotavalidtokennotavalid' }).list())).code, 'APPROVAL_UNAUTHENTICATED');
  t.equal((await agentApi.show(request.id)).approval.state, 'pending', 'the pusher can follow its own request');
  await bob.cancel(request.id, 'test over');
  const push = await pushing;
  t.not(push.code, 0);
  t.match(push.stderr, /is cancelled; nothing was applied/);
  await git.ok(['reset', '-q', '--hard', 'HEAD~1'], work);
});

t.test('two approvers at once: both approvals land and the push needs both', async (t) => {
  const twoApprovers = { gitgate: { config: { production: { approvals_required: 2 } } } };
  const h2 = await startHarness([], twoApprovers, { approvals: { hold_seconds: 60, progress_interval_seconds: 5 } });
  t.teardown(() => h2.close());
  const a = new ApprovalsClient({ baseUrl: h2.gateway.url, token: h2.gateway.tokens.create('alice', ['production-review'], 'human').token });
  const b = new ApprovalsClient({ baseUrl: h2.gateway.url, token: h2.gateway.tokens.create('bob', ['production-review'], 'human').token });
  const clone = join(h2.root, 'clone');
  await git.ok(['clone', '-q', h2.remote('demo/hello'), clone], h2.root);
  mkdirSync(join(clone, 'src'), { recursive: true });
  writeFileSync(join(clone, 'src', 'two.js'), 'two\n');
  await git.ok(['add', '.'], clone);
  await git.ok(['-c', 'user.name=Agent', '-c', 'user.email=agent@example.com', 'commit', '-q', '-m', 'Needs two'], clone);
  const head = (await git.ok(['rev-parse', 'HEAD'], clone)).trim();
  const pushing = git.run(['push', 'origin', 'main'], clone);
  const request = await pendingFor(head, a, pushing);
  // Both approve at the same moment: both approvals land (the store serialises the updates).
  const results = await Promise.all([a.approve(request.id, 'one'), b.approve(request.id, 'two')]);
  t.same(results.map((r) => r.state).sort(), ['approved', 'pending'], 'the first made it 1 of 2, the second 2 of 2');
  const final = (await a.show(request.id)).approval;
  t.same(final.approvals.map((g) => g.approver.subject).sort(), ['alice', 'bob']);
  const push = await pushing;
  t.equal(push.code, 0, push.stderr);
  t.equal((await git.run(['--git-dir', join(h2.upstreamDir, 'demo/hello.git'), 'rev-parse', 'main'], h2.root)).stdout.trim(), head);
});

/** A format-valid fake GitHub token, made at run time so no literal in the repository looks like one. */
function fakeGithubToken(): string {
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let body = '';
  for (let i = 0; i < 36; i++) body += alnum[randomInt(alnum.length)];
  return `ghp_${body}`;
}

t.test('the texts for the diff never show a secret, even one already upstream', async (t) => {
  const token = fakeGithubToken();
  // An old secret lands upstream behind the gateway's back (it is not an added line of the next push).
  const direct = join(harness.root, 'direct');
  await git.ok(['clone', '-q', join(harness.upstreamDir, 'demo/hello.git'), direct], harness.root);
  mkdirSync(join(direct, 'src'), { recursive: true });
  writeFileSync(join(direct, 'src', 'config.js'), `export const token = '${token}';\nexport const retries = 1;\n`);
  await git.ok(['add', '.'], direct);
  await git.ok(['-c', 'user.name=Someone', '-c', 'user.email=someone@example.com', 'commit', '-q', '-m', 'Old config'], direct);
  await git.ok(['push', '-q', 'origin', 'main'], direct);
  await git.ok(['pull', '-q', '--rebase', 'origin', 'main'], work);
  const head = await commitFile('src/config.js', `export const token = '${token}';\nexport const retries = 3;\n`, 'More retries');
  const pushing = git.run(['push', 'origin', 'main'], work);
  const request = await pendingFor(head, alice, pushing);
  const [file] = await alice.files(request.id);
  t.equal(file?.status, 'modified');
  t.match(file?.old_text ?? '', /retries = 1/);
  t.match(file?.new_text ?? '', /retries = 3/);
  t.notMatch(JSON.stringify(await alice.files(request.id)), token, 'the token is masked in both texts');
  t.notMatch(JSON.stringify(await alice.show(request.id)), token);
  await alice.approve(request.id, 'retries only');
  const push = await pushing;
  t.equal(push.code, 0, push.stderr);
  t.notMatch(harness.logs(), token);
});

t.test('a deleted file shows its old text for the diff', async (t) => {
  await git.ok(['rm', '-q', 'src/feature.js'], work);
  await git.ok(['commit', '-q', '-m', 'Drop the feature flag'], work);
  const head = (await git.ok(['rev-parse', 'HEAD'], work)).trim();
  const pushing = git.run(['push', 'origin', 'main'], work);
  const request = await pendingFor(head, alice, pushing);
  t.same(await alice.files(request.id), [{ ref: 'refs/heads/main', path: 'src/feature.js', status: 'deleted', old_text: "export const feature = 'on';\n" }]);
  await alice.approve(request.id);
  t.equal((await pushing).code, 0);
  t.equal(await upstreamRef('refs/heads/main'), head);
});

t.test('a push held for approval gives its turn to the next push (limits.concurrent_pushes)', async (t) => {
  const single = await startHarness([], undefined, { approvals: { hold_seconds: 60, progress_interval_seconds: 1 }, limits: { concurrent_pushes: 1, push_queue_seconds: 10 } });
  t.teardown(() => single.close());
  const approver = new ApprovalsClient({ baseUrl: single.gateway.url, token: single.gateway.tokens.create('alice', ['production-review'], 'human').token });
  const clone = await git.cloneAsAgent(single.remote('demo/hello'), join(single.root, 'work', 'single'));
  const held = await git.commitFile(clone, 'src/held.js', 'export const held = true;\n', 'Held change');
  const pushing = git.run(['push', 'origin', 'main'], clone);
  const request = await pendingFor(held, approver, pushing);
  t.same(single.gateway.server.pushes, { admitted: 0, queued: 0 }, 'the held push holds no turn');
  await git.ok(['checkout', '-q', '-b', 'feature/while-held', 'HEAD~1'], clone);
  await git.commitFile(clone, 'notes.txt', 'pushed while another push is held\n', 'Notes');
  const other = await git.run(['push', 'origin', 'feature/while-held'], clone);
  t.equal(other.code, 0, other.stderr);
  await approver.deny(request.id, 'not now');
  t.not((await pushing).code, 0);
});
