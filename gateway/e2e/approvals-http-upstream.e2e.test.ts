import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpBackend, type HttpBackendServer } from '../../testdata/http-backend-server.js';
import { startOidcIssuer, type TestOidcIssuer } from '../../testdata/oidc-issuer.js';
import { ApprovalsClient } from '../approvals/approvals-client.js';
import { listAuditEvents, materializePush, requestEvents } from '../audit/index.js';
import type { ApprovalRequest } from '../approvals/approval-types.js';
import { ensureDemoRepository } from '../demo/demo-setup.js';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';
import { until } from '../../testdata/wait-until.js';

// A quarantined push to a real git http-backend upstream, approved by a person whose OIDC JWT the
// gateway verifies, delivered by gitgate with its own credential; webhooks tell a receiver.
const UPSTREAM_PASSWORD = 'upstream-credential-of-the-gateway-for-approvals';
const git = new GitClient();
let backend: HttpBackendServer;
let issuer: TestOidcIssuer;
let receiver: Server;
const hooks: { path: string; event: string | undefined; body: Record<string, unknown> }[] = [];
let harness: GatewayHarness;
let projectRoot: string;

t.before(async () => {
  process.env['GITGATE_TEST_APPROVALS_UPSTREAM_PASSWORD'] = UPSTREAM_PASSWORD;
  projectRoot = mkdtempSync(join(tmpdir(), 'gitgate-approvals-backend-'));
  ensureDemoRepository(projectRoot);
  backend = await startHttpBackend(projectRoot, { basicAuth: `gateway:${UPSTREAM_PASSWORD}` });
  issuer = await startOidcIssuer();
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      hooks.push({ path: request.url ?? '', event: request.headers['x-gitgate-event'] as string | undefined, body: JSON.parse(body) as Record<string, unknown> });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  harness = await startHarness(
    [{ type: 'http', name: 'backend', scheme: 'http', repositories: [`${backend.host}/demo/*`], credential: { username: 'gateway', password_env: 'GITGATE_TEST_APPROVALS_UPSTREAM_PASSWORD' } }],
    undefined,
    {
      identity: { oidc: [{ issuer: issuer.issuer, audience: 'gitgate', groups_claim: 'groups', algorithms: ['RS256'], kind: 'human' }] },
      approvals: {
        hold_seconds: 1,
        webhooks: [
          { url: `${hookUrl}/json`, format: 'json' },
          { url: `${hookUrl}/slack/T000/B000/not-a-real-secret`, format: 'slack', events: ['approval.requested'] },
        ],
      },
    },
  );
});
t.teardown(async () => {
  await harness.close();
  await backend.close();
  await issuer.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});


t.test('quarantined push to git http-backend, approved with an OIDC JWT, forwarded with the gateway credential', async (t) => {
  const work = join(harness.root, 'clone');
  await git.ok(['clone', '-q', harness.remote(`${backend.host}/demo/hello`), work], harness.root);
  mkdirSync(join(work, 'deploy'), { recursive: true });
  writeFileSync(join(work, 'deploy', 'app.yaml'), 'replicas: 3\n');
  await git.ok(['add', '.'], work);
  await git.ok(['-c', 'user.name=Agent One', '-c', 'user.email=agent-1@example.com', 'commit', '-q', '-m', 'Scale to three'], work);
  const head = (await git.ok(['rev-parse', 'HEAD'], work)).trim();
  const upstreamMain = async () => (await git.run(['--git-dir', join(projectRoot, 'demo/hello.git'), 'rev-parse', 'main'], harness.root)).stdout.trim();
  const before = await upstreamMain();

  const push = await git.run(['push', 'origin', 'main'], work);
  t.not(push.code, 0);
  const id = /quarantined as (apr_[a-z2-7]{20})/.exec(push.stderr)?.[1];
  t.ok(id, push.stderr);
  t.equal(await upstreamMain(), before);

  const jwt = await issuer.sign({ sub: 'alice@idp', email: 'alice@example.com', groups: ['production-review'] });
  const alice = new ApprovalsClient({ baseUrl: harness.gateway.url, token: jwt });
  const files = await alice.files(id!);
  t.same(files, [{ ref: 'refs/heads/main', path: 'deploy/app.yaml', status: 'added', new_text: 'replicas: 3\n' }]);
  const approved = await alice.approve(id!, 'three replicas are fine');
  t.equal(approved.approvals[0]?.approver.issuer, issuer.issuer);
  t.equal(approved.approvals[0]?.approver.authentication, 'oidc');
  let request: ApprovalRequest | undefined;
  await until('the forward', async () => (request = (await alice.show(id!)).approval).forward !== undefined, { everyMs: 100 });
  t.equal(request!.forward!.outcome, 'forwarded', request!.forward!.detail.join('; '));
  t.equal(await upstreamMain(), head, 'git http-backend has the approved commit');
  // Kept for the audit as a live push is: the pack, and a replay pack built with the mirror's objects.
  const intent = (await listAuditEvents(harness.gateway.audit.store, { type: 'upstream.forward' })).find((e) => e.data['approval_id'] === id)!;
  const rebuilt = await materializePush(await requestEvents(harness.gateway.audit.store, intent.request_id!), harness.gateway.audit.packs, join(harness.root, 'materialized'));
  t.same(rebuilt.refs, [{ ref: 'refs/heads/main', id: head }], 'the quarantined push is rebuilt from the audit log');
  t.match(await git.ok(['--git-dir', rebuilt.gitDir, 'show', '--stat', '--format=%s', head], harness.root), /Scale to three[\s\S]*deploy\/app\.yaml/);
  const expected = `Basic ${Buffer.from(`gateway:${UPSTREAM_PASSWORD}`).toString('base64')}`;
  t.ok(backend.authorizations.every((a) => a === expected), 'the upstream only ever saw the gateway credential');

  await until('the webhooks', () => hooks.filter((h) => h.path === '/json').length >= 3, { everyMs: 100 });
  t.same(
    hooks.filter((h) => h.path === '/json').map((h) => h.event),
    ['approval.requested', 'approval.approved', 'approval.used'],
    'JSON hook: the lifecycle events, in order',
  );
  const requested = hooks.find((h) => h.path === '/json' && h.event === 'approval.requested')!.body as { approval: { id: string; url: string } };
  t.equal(requested.approval.id, id);
  const slack = hooks.filter((h) => h.path.startsWith('/slack'));
  t.equal(slack.length, 1, 'the Slack hook only asked for approval.requested');
  t.match(String(slack[0]!.body['text']), new RegExp(`gitgate approval ${id} requested by agent-1`));
  t.notMatch(harness.logs(), 'not-a-real-secret', 'the webhook URL path is not logged');
  t.notMatch(harness.logs(), jwt.split('.')[2]!, 'the JWT is not logged');
  t.notMatch(harness.logs(), UPSTREAM_PASSWORD);
});
