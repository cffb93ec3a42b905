import t from 'tap';
import { pino } from 'pino';
import { Readable } from 'node:stream';
import type { Identity } from '../../rego/index.js';
import { ApprovalService, type ApprovalEvent } from './approval-service.js';
import { ApprovalStore } from './approval-store.js';
import { human } from './approval-test-fixtures.js';
import type { ApprovalRequest, ForwardResult, NewApprovalRequest } from './approval-types.js';

const logger = pino({ level: 'silent' });
const agent: Identity = { subject: 'agent-1', issuer: 'gitgate:static-tokens', groups: ['agents'], kind: 'agent', authentication: 'token' };

function newRequest(overrides: Partial<NewApprovalRequest> = {}): NewApprovalRequest {
  return {
    repositoryPath: 'demo/hello',
    repository: 'demo/hello',
    upstream: 'file:///x',
    pusher: agent,
    refs: [{ ref: 'refs/heads/main', old: 'a'.repeat(40), new: 'b'.repeat(40), operation: 'update', fast_forward: true }],
    commits: [],
    files: [],
    findings: [],
    requirements: [{ group: 'production-review', count: 1, reason: 'protected', ref: 'refs/heads/main' }],
    policyDecisionId: 'd1',
    policyReasons: ['protected'],
    quarantine: Readable.from([Buffer.from('push bytes')]),
    fileContents: [],
    delivery: 'held',
    ...overrides,
  };
}

function service(root: string, clock?: () => Date): ApprovalService {
  return new ApprovalService(new ApprovalStore(root), { holdSeconds: 5, expirySeconds: 3600, progressIntervalSeconds: 1, publicUrl: () => 'https://gitgate.example' }, logger, clock);
}

t.test('create, events, url, fingerprint; grantedFor only once approved and only for that fingerprint', async (t) => {
  const s = service(t.testdir());
  await s.start();
  t.teardown(() => s.close());
  const events: ApprovalEvent[] = [];
  s.onEvent((e) => events.push(e));
  const request = await s.create(newRequest());
  t.equal(request.url, `https://gitgate.example/ui/approvals/${request.id}`);
  t.match(request.fingerprint, /^sha256:/);
  t.equal(await s.grantedFor(request.fingerprint), undefined, 'nothing granted while pending');
  await s.approve(request.id, human('alice'), 'ok');
  const granted = await s.grantedFor(request.fingerprint);
  t.equal(granted?.request.id, request.id);
  t.equal(granted?.granted[0]?.approver, 'alice');
  t.equal(await s.grantedFor('sha256:other'), undefined);
  await s.markUsed(request.id, 'repush');
  t.equal(await s.grantedFor(request.fingerprint), undefined, 'single use');
  t.same(events.map((e) => e.type), ['approval.requested', 'approval.approval_given', 'approval.approved', 'approval.used']);
});

t.test('waitForDecision resolves on the decision, on timeout, and on abort', async (t) => {
  const s = service(t.testdir());
  await s.start();
  t.teardown(() => s.close());
  const request = await s.create(newRequest());
  const started = Date.now();
  const timedOut = await s.waitForDecision(request.id, 300);
  t.equal(timedOut.state, 'pending');
  t.ok(Date.now() - started >= 290);
  const waiting = s.waitForDecision(request.id, 10_000);
  setTimeout(() => void s.deny(request.id, human('alice'), 'no'), 50);
  const decided = await waiting;
  t.equal(decided.state, 'denied');
  t.ok(Date.now() - started < 9000, 'woken by the decision, not by the 10 s timeout');
  const other = await s.create(newRequest());
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 50);
  t.equal((await s.waitForDecision(other.id, 10_000, abort.signal)).state, 'pending');
});

t.test('a decision made by another process is seen by a waiting one', async (t) => {
  const root = t.testdir();
  const one = service(root);
  const two = service(root);
  await one.start();
  await two.start();
  t.teardown(async () => {
    await one.close();
    await two.close();
  });
  const request = await one.create(newRequest());
  const waiting = one.waitForDecision(request.id, 10_000);
  await two.approve(request.id, human('alice'), 'from the other replica');
  t.equal((await waiting).state, 'approved');
});

t.test('after a restart, held pushes are quarantined; an approval then forwards them', async (t) => {
  const root = t.testdir();
  const first = service(root);
  await first.start();
  const request = await first.create(newRequest());
  await first.close();
  const forwarded: { request: ApprovalRequest; body: string }[] = [];
  const forwarder = {
    async forward(r: ApprovalRequest, body: Readable): Promise<ForwardResult> {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      forwarded.push({ request: r, body: Buffer.concat(chunks).toString() });
      return { at: new Date().toISOString(), outcome: 'forwarded', detail: ['unpack ok', 'ok refs/heads/main'] };
    },
  };
  const second = service(root);
  await second.start(forwarder);
  t.teardown(() => second.close());
  const restarted = await second.get(request.id);
  t.equal(restarted.delivery, 'quarantined');
  t.match(restarted.history.at(-1)?.reason ?? '', /restarted/);
  await second.approve(request.id, human('alice'), 'ok');
  await second.close();
  t.same(forwarded.map((f) => f.body), ['push bytes']);
  const final = await second.get(request.id);
  t.equal(final.state, 'used');
  t.equal(final.forward?.outcome, 'forwarded');
  t.equal(await second.store.readQuarantine(request.id), undefined);
});

t.test('expiry by the clock; list filters', async (t) => {
  let now = new Date('2026-01-01T10:00:00.000Z');
  const s = service(t.testdir(), () => now);
  await s.start();
  t.teardown(() => s.close());
  const a = await s.create(newRequest());
  const b = await s.create(newRequest({ requirements: [{ group: 'ci-review', count: 1, reason: 'ci' }] }));
  t.same((await s.list({ groups: ['ci-review'] })).map((r) => r.id), [b.id]);
  now = new Date('2026-01-01T11:00:01.000Z');
  t.same((await s.list({ state: 'pending' })).map((r) => r.id), []);
  t.equal((await s.get(a.id)).state, 'expired');
  await t.rejects(s.approve(b.id, human('alice', ['ci-review']), 'late'), { code: 'APPROVAL_EXPIRED' });
});

t.test('pushing the same commits again supersedes the quarantined request, not a held one', async (t) => {
  const s = service(t.testdir());
  await s.start();
  t.teardown(() => s.close());
  const held = await s.create(newRequest());
  const quarantined = await s.create(newRequest({ delivery: 'quarantined' }));
  const again = await s.create(newRequest());
  t.equal((await s.get(held.id)).state, 'pending', 'a held push keeps its request');
  const superseded = await s.get(quarantined.id);
  t.equal(superseded.state, 'cancelled');
  t.match(superseded.history.at(-1)?.reason ?? '', new RegExp(`superseded by ${again.id}`));
  const other = await s.create(newRequest({ delivery: 'quarantined', refs: [{ ref: 'refs/heads/main', old: 'a'.repeat(40), new: 'c'.repeat(40), operation: 'update', fast_forward: true }] }));
  await s.create(newRequest());
  t.equal((await s.get(other.id)).state, 'pending', 'other commits are not touched');
});

t.test('approved while held, then the process died: the next start delivers it', async (t) => {
  const root = t.testdir();
  const first = service(root);
  await first.start();
  const request = await first.create(newRequest());
  await first.approve(request.id, human('alice'), 'ok');
  await first.close();
  let forwarded = 0;
  const second = service(root);
  await second.start({
    async forward(_r: ApprovalRequest, body: Readable): Promise<ForwardResult> {
      body.resume();
      forwarded++;
      return { at: new Date().toISOString(), outcome: 'forwarded', detail: ['unpack ok'] };
    },
  });
  await second.close();
  t.equal(forwarded, 1);
  t.equal((await second.get(request.id)).state, 'used');
});
