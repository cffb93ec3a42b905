import t, { type Test } from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApprovalsClient, ApprovalsClientError } from '../approvals/approvals-client.js';
import { listAuditEvents, materializePush, requestEvents } from '../audit/index.js';
import type { ApprovalRequest } from '../approvals/approval-types.js';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';
import { until } from '../../testdata/wait-until.js';

// What happens after the hold: quarantine and gitgate's own forward, a conflict when the upstream
// moved, re-pushes of approved commits (and only those), expiry.
const git = new GitClient();

interface Setup {
  harness: GatewayHarness;
  work: string;
  approver: ApprovalsClient;
  upstreamRef: (ref: string) => Promise<string>;
  commitFile: (path: string, content: string, message: string) => Promise<string>;
}

async function setup(t: Test, approvals: Record<string, unknown>): Promise<Setup> {
  const harness = await startHarness([], undefined, { approvals });
  t.teardown(() => harness.close());
  const work = join(harness.root, 'clone');
  await git.ok(['clone', '-q', harness.remote('demo/hello'), work], harness.root);
  await git.ok(['config', 'user.name', 'Agent One'], work);
  await git.ok(['config', 'user.email', 'agent-1@example.com'], work);
  return {
    harness,
    work,
    approver: new ApprovalsClient({ baseUrl: harness.gateway.url, token: harness.gateway.tokens.create('alice', ['production-review'], 'human').token }),
    upstreamRef: async (ref) => (await git.run(['--git-dir', join(harness.upstreamDir, 'demo/hello.git'), 'rev-parse', '--verify', '-q', ref], harness.root)).stdout.trim(),
    commitFile: async (path, content, message) => {
      mkdirSync(join(work, path, '..'), { recursive: true });
      writeFileSync(join(work, path), content);
      await git.ok(['add', path], work);
      await git.ok(['commit', '-q', '-m', message], work);
      return (await git.ok(['rev-parse', 'HEAD'], work)).trim();
    },
  };
}

const requestIdIn = (stderr: string): string => {
  const match = /approval request (apr_[a-z2-7]{20})|quarantined as (apr_[a-z2-7]{20})/.exec(stderr);
  if (match === null) throw new Error(`no approval request id in:\n${stderr}`);
  return (match[1] ?? match[2])!;
};


t.test('hold times out, the push is quarantined, and on approval gitgate forwards it itself', async (t) => {
  const s = await setup(t, { hold_seconds: 2, progress_interval_seconds: 1 });
  const before = await s.upstreamRef('refs/heads/main');
  const head = await s.commitFile('src/late.js', 'approved later\n', 'Change approved after the hold');
  const push = await git.run(['push', 'origin', 'main'], s.work);
  t.not(push.code, 0);
  const id = requestIdIn(push.stderr);
  t.match(push.stderr, new RegExp(`remote: gitgate: no decision on ${id} within 2 s; nothing was applied yet`));
  t.match(push.stderr, new RegExp(`remote: The push is quarantined as ${id}: once approved, gitgate delivers it upstream itself`));
  t.match(push.stderr, new RegExp(`remote: Wait for the decision with: gitgate approvals wait ${id}`));
  t.match(push.stderr, new RegExp(`! \\[remote rejected\\] main -> main \\(gitgate: awaiting approval ${id}\\)`));
  t.equal(await s.upstreamRef('refs/heads/main'), before);
  const quarantined = (await s.approver.show(id)).approval;
  t.equal(quarantined.state, 'pending');
  t.equal(quarantined.delivery, 'quarantined');
  t.ok(existsSync(join(s.harness.config.dataDir, 'approvals', 'quarantine', `${id}.push`)), 'the pushed bytes are on disk');

  await s.approver.approve(id, 'fine after all');
  let forwarded: ApprovalRequest | undefined;
  await until('the forward', async () => (forwarded = (await s.approver.show(id)).approval).forward !== undefined, { everyMs: 100 });
  t.equal(forwarded!.forward!.outcome, 'forwarded', forwarded!.forward!.detail.join('\n'));
  t.same(forwarded!.forward!.detail, ['unpack ok', 'ok refs/heads/main']);
  t.equal(forwarded!.state, 'used');
  t.equal(await s.upstreamRef('refs/heads/main'), head, "the upstream's main is the approved commit");
  t.notOk(existsSync(join(s.harness.config.dataDir, 'approvals', 'quarantine', `${id}.push`)), 'quarantine cleared');
  const audited = (await listAuditEvents(s.harness.gateway.audit.store)).filter((e) => e.data['approval_id'] === id).map((e) => e.type);
  t.same(audited, ['approval.requested', 'approval.approved', 'approval.used', 'upstream.forward', 'upstream.result'], "gitgate's own forward is in the audit log");
  // As for a live push: the pushed pack is kept by its hash before the forward, a replay pack
  // after, and the push can be rebuilt from the log alone.
  const { store, packs } = s.harness.gateway.audit;
  const intent = (await listAuditEvents(store, { type: 'upstream.forward' })).find((e) => e.data['approval_id'] === id)!;
  const pack = intent.data['pack'] as { sha256: string; bytes: number; objects: number };
  t.ok(packs.has(pack.sha256), 'the pushed pack is kept under the hash the intent names');
  t.ok(pack.objects >= 3 && pack.bytes > 0, `${pack.objects} objects, ${pack.bytes} bytes`);
  const events = await requestEvents(store, intent.request_id!);
  t.match(events.find((e) => e.type === 'upstream.result')?.data['replay_pack'], { sha256: /^[0-9a-f]{64}$/ });
  const rebuilt = await materializePush(events, packs, join(s.harness.root, 'materialized'));
  t.same(rebuilt.refs, [{ ref: 'refs/heads/main', id: head }]);
  t.match(await git.ok(['--git-dir', rebuilt.gitDir, 'show', '--stat', '--format=%s', head], s.harness.root), /Change approved after the hold[\s\S]*src\/late\.js/);
  const again = await git.run(['push', 'origin', 'main'], s.work);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stderr, /Everything up-to-date/);
});

t.test('the upstream moved meanwhile: the forward is refused by its old-id check and recorded as a conflict', async (t) => {
  const s = await setup(t, { hold_seconds: 0 });
  await s.commitFile('src/conflict.js', 'mine\n', 'Agent change');
  const push = await git.run(['push', 'origin', 'main'], s.work);
  t.not(push.code, 0);
  const id = requestIdIn(push.stderr);
  // Someone else lands on main directly.
  const other = join(s.harness.root, 'other');
  await git.ok(['clone', '-q', join(s.harness.upstreamDir, 'demo/hello.git'), other], s.harness.root);
  writeFileSync(join(other, 'NEWS.md'), 'newer work\n');
  await git.ok(['add', '.'], other);
  await git.ok(['-c', 'user.name=Someone', '-c', 'user.email=someone@example.com', 'commit', '-q', '-m', 'Newer work'], other);
  await git.ok(['push', '-q', 'origin', 'main'], other);
  const newer = await s.upstreamRef('refs/heads/main');
  await s.approver.approve(id, 'ok');
  let request: ApprovalRequest | undefined;
  await until('the forward', async () => (request = (await s.approver.show(id)).approval).forward !== undefined, { everyMs: 100 });
  t.equal(request!.forward!.outcome, 'conflict');
  t.match(request!.forward!.detail.join('\n'), /ng refs\/heads\/main/);
  t.equal(await s.upstreamRef('refs/heads/main'), newer, 'the newer work was not overwritten');
  t.ok(request!.history.some((h) => h.event === 'forward-failed'));
});

t.test('with auto_forward off, a re-push of the approved commits passes once; other commits need a new approval', async (t) => {
  const s = await setup(t, { hold_seconds: 0, auto_forward: false });
  const approvedHead = await s.commitFile('src/repush.js', 'v1\n', 'Version 1');
  const first = await git.run(['push', 'origin', 'main'], s.work);
  t.not(first.code, 0);
  const id = requestIdIn(first.stderr);
  t.equal((await s.approver.approve(id, 'v1 is fine')).state, 'approved');
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal((await s.approver.show(id)).approval.state, 'approved', 'not forwarded by gitgate');

  // Different commits: the approval does not cover them.
  await git.ok(['commit', '-q', '--amend', '-m', 'Version 1, amended'], s.work);
  const amended = (await git.ok(['rev-parse', 'HEAD'], s.work)).trim();
  const other = await git.run(['push', 'origin', 'main'], s.work);
  t.not(other.code, 0, 'amended commits are held again');
  const otherId = requestIdIn(other.stderr);
  t.not(otherId, id);
  t.equal((await s.approver.show(otherId)).approval.refs[0]?.new, amended);
  t.equal((await s.approver.show(id)).approval.state, 'approved', 'the first approval is untouched');

  // The approved commits again: they pass, and the approval is spent.
  await git.ok(['reset', '-q', '--hard', approvedHead], s.work);
  const repush = await git.run(['push', 'origin', 'main'], s.work);
  t.equal(repush.code, 0, repush.stderr);
  t.equal(await s.upstreamRef('refs/heads/main'), approvedHead);
  const used = (await s.approver.show(id)).approval;
  t.equal(used.state, 'used');
  t.match(used.history.at(-1)?.reason ?? '', /pushed again/);
});

t.test('a request not decided in time expires and can no longer be approved', async (t) => {
  const s = await setup(t, { hold_seconds: 0, expiry_seconds: 1 });
  await s.commitFile('src/expiring.js', 'soon stale\n', 'Expiring change');
  const push = await git.run(['push', 'origin', 'main'], s.work);
  const id = requestIdIn(push.stderr);
  await new Promise((resolve) => setTimeout(resolve, 1300));
  const error = await s.approver.approve(id, 'too late').then(
    () => undefined,
    (e: unknown) => e as ApprovalsClientError,
  );
  t.equal(error?.code, 'APPROVAL_EXPIRED');
  const expired = (await s.approver.show(id)).approval;
  t.equal(expired.state, 'expired');
  t.same(expired.history.at(-1), { ...expired.history.at(-1), event: 'expired', state: 'expired' });
  t.notOk(existsSync(join(s.harness.config.dataDir, 'approvals', 'quarantine', `${id}.push`)), 'an expired push is not kept in quarantine');
});

t.test('a quarantined push survives a gateway restart and is delivered when approved afterwards', async (t) => {
  const s = await setup(t, { hold_seconds: 0 });
  const head = await s.commitFile('src/restart.js', 'kept across a restart\n', 'Survive a restart');
  const push = await git.run(['push', 'origin', 'main'], s.work);
  const id = requestIdIn(push.stderr);
  await s.harness.gateway.close();
  const { startGateway } = await import('../server/start-gateway.js');
  const restarted = await startGateway(s.harness.config, { logLevel: 'silent' });
  t.teardown(() => restarted.close());
  const approver = new ApprovalsClient({ baseUrl: restarted.url, token: restarted.tokens.create('bob', ['production-review'], 'human').token });
  const pending = await approver.list({ state: 'pending' });
  t.same(pending.map((r) => r.id), [id], 'the request is still there');
  await approver.approve(id, 'after the restart');
  let request: ApprovalRequest | undefined;
  await until('the forward', async () => (request = (await approver.show(id)).approval).forward !== undefined, { everyMs: 100 });
  t.equal(request!.forward!.outcome, 'forwarded');
  t.equal(await s.upstreamRef('refs/heads/main'), head);
});

t.test('the agent interrupts the held push (Ctrl-C): the push stays quarantined and is delivered on approval', async (t) => {
  const s = await setup(t, { hold_seconds: 60, progress_interval_seconds: 1 });
  const head = await s.commitFile('src/interrupted.js', 'interrupted\n', 'Interrupted push');
  const { spawn } = await import('node:child_process');
  // In its own process group, so that SIGINT reaches git and its remote helper, as Ctrl-C does.
  const child = spawn('git', ['push', 'origin', 'main'], { cwd: s.work, env: git.env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await until('the hold', async () => /still waiting for approval/.test(stderr), { everyMs: 100 });
  const id = requestIdIn(stderr);
  const exited = new Promise((resolve) => child.once('close', resolve));
  process.kill(-child.pid!, 'SIGINT');
  await exited;
  await until('the quarantine', async () => (await s.approver.show(id)).approval.delivery === 'quarantined', { everyMs: 100 });
  const request = (await s.approver.show(id)).approval;
  t.equal(request.state, 'pending');
  t.match(request.history.at(-1)?.reason ?? '', /disconnected/);
  await s.approver.approve(id, 'go');
  await until('the forward', async () => (await s.approver.show(id)).approval.forward !== undefined, { everyMs: 100 });
  t.equal((await s.approver.show(id)).approval.forward?.outcome, 'forwarded');
  t.equal(await s.upstreamRef('refs/heads/main'), head);
});
