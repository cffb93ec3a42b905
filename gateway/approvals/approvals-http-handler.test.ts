import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { TokenStore } from '../identity/token-store.js';
import { ApprovalService } from './approval-service.js';
import { ApprovalStore } from './approval-store.js';
import { ApprovalsHttpHandler } from './approvals-http-handler.js';
import { BearerApproverAuthenticator } from './approver-authenticator.js';

// The REST API over real HTTP: authentication, visibility, errors with codes, the long poll.
t.test('approvals REST API', async (t) => {
  const root = t.testdir();
  const logger = pino({ level: 'silent' });
  const service = new ApprovalService(new ApprovalStore(join(root, 'approvals')), { holdSeconds: 5, expirySeconds: 3600, progressIntervalSeconds: 1, publicUrl: () => 'http://gw' }, logger);
  await service.start();
  const tokens = new TokenStore(join(root, 'tokens.json'));
  const alice = tokens.create('alice', ['production-review'], 'human').token;
  const carol = tokens.create('carol', ['frontend'], 'human').token;
  const admin = tokens.create('root', ['gitgate-admins'], 'human').token;
  const agent = tokens.create('agent-1', ['agents'], 'agent').token;
  const handler = new ApprovalsHttpHandler(service, [new BearerApproverAuthenticator(tokens, [])], logger);
  const server = createServer((request, response) => void handler.handle(request, response, new URL(request.url ?? '/', 'http://x')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await service.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/approvals`;
  const call = async (path: string, token: string | undefined, init: RequestInit = {}) => {
    const response = await fetch(`${base}${path}`, { ...init, headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(init.headers as Record<string, string> | undefined) } });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
  };
  const request = await service.create({
    repositoryPath: 'demo/hello',
    repository: 'demo/hello',
    upstream: 'file:///x',
    pusher: { subject: 'agent-1', issuer: 'gitgate:static-tokens', groups: ['agents'], kind: 'agent', authentication: 'token' },
    refs: [{ ref: 'refs/heads/main', old: 'a'.repeat(40), new: 'b'.repeat(40), operation: 'update', fast_forward: true }],
    commits: [],
    files: [],
    findings: [],
    requirements: [{ group: 'production-review', count: 1, reason: 'protected', ref: 'refs/heads/main' }],
    policyDecisionId: 'd1',
    policyReasons: [],
    quarantine: Readable.from([Buffer.from('x')]),
    fileContents: [],
    delivery: 'quarantined',
  });

  const anonymous = await call('', undefined);
  t.equal(anonymous.status, 401);
  t.equal(anonymous.body['error'].code, 'APPROVAL_UNAUTHENTICATED');
  t.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="gitgate"');
  t.equal((await call('', 'ggt_abcdefgh_notarealtokennotarealtokennotarealtoken')).status, 401);

  t.same((await call('', alice)).body['approvals'].map((r: { id: string }) => r.id), [request.id]);
  t.same((await call('', carol)).body['approvals'], [], 'another group sees nothing');
  t.same((await call('', admin)).body['approvals'].length, 1, 'admins see everything');
  t.same((await call('', agent)).body['approvals'].length, 1, 'the pusher sees its own');
  t.equal((await call(`/${request.id}`, carol)).status, 404);
  const bad = await call('?state=maybe', alice);
  t.equal(bad.status, 400);
  t.match(bad.body['error'].message, /state must be one of pending, approved.*not 'maybe'/);
  t.equal((await call('/apr_aaaaaaaaaaaaaaaaaaaa', alice)).status, 404);
  t.equal((await call('/..%2F..%2Fetc', alice)).status, 404);
  t.equal((await call(`/${request.id}`, alice, { method: 'PUT' })).status, 400);
  const notJson = await call(`/${request.id}/approve`, alice, { method: 'POST', body: 'yes please' });
  t.equal(notJson.status, 400);
  t.match(notJson.body['error'].message, /not JSON/);
  t.equal((await call(`/${request.id}/approve`, alice, { method: 'POST', body: JSON.stringify({ reason: 42 }) })).status, 400);
  t.equal((await call(`/${request.id}/approve`, agent, { method: 'POST', body: '{}' })).body['error'].code, 'APPROVAL_SELF_APPROVAL');

  const detail = await call(`/${request.id}`, alice);
  t.same(detail.body['progress'], [{ group: 'production-review', required: 1, given: 0 }]);
  t.same(detail.body['can'], { approve: { allowed: true }, deny: { allowed: true } });
  t.equal((await call(`/${request.id}`, agent)).body['can'].approve.allowed, false);

  const started = Date.now();
  const timedOut = await call(`/${request.id}/wait?timeout=1`, agent);
  t.same([timedOut.body['decided'], timedOut.body['approval'].state], [false, 'pending']);
  t.ok(Date.now() - started >= 900);
  const waiting = call(`/${request.id}/wait?timeout=60`, agent);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const denied = await call(`/${request.id}/deny`, alice, { method: 'POST', body: JSON.stringify({ reason: 'not today' }) });
  t.equal(denied.body['approval'].state, 'denied');
  const woke = await waiting;
  t.same([woke.body['decided'], woke.body['approval'].denial.reason], [true, 'not today']);
  t.ok(Date.now() - started < 10_000, 'the long poll answered at the decision');
  t.equal((await call(`/${request.id}/approve`, alice, { method: 'POST', body: '{}' })).status, 409);
});
