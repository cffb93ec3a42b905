import t, { type Test } from 'tap';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { ApprovalWebhookConfig } from '../config/approvals-config.js';
import { APPROVAL_WEBHOOK_EVENTS } from '../config/approvals-config.js';
import type { ApprovalEvent } from './approval-service.js';
import { ApprovalWebhooks, slackBody, webhookPayload } from './approval-webhooks.js';
import { pendingRequest } from './approval-test-fixtures.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP endpoint that fails the first `failures` calls with 503. */
async function endpoint(t: Test, failures = 0) {
  const received: Received[] = [];
  let calls = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      calls++;
      received.push({ path: request.url ?? '', headers: request.headers, body });
      response.writeHead(calls <= failures ? 503 : 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

function event(type: ApprovalEvent['type'] = 'approval.requested'): ApprovalEvent {
  const request = pendingRequest();
  return { type, at: request.created_at, actor: request.history[0]!.by, reason: 'needs approval by 1 of production-review', request };
}

function hook(url: string, extra: Partial<ApprovalWebhookConfig> = {}): ApprovalWebhookConfig {
  return { url, format: 'json', events: [...APPROVAL_WEBHOOK_EVENTS], secretEnv: undefined, timeoutSeconds: 5, retries: 3, ...extra };
}

async function settle(webhooks: ApprovalWebhooks): Promise<void> {
  await webhooks.close(10_000);
}

t.test('posts the JSON document, signed when a key is configured', async (t) => {
  const server = await endpoint(t);
  process.env['GITGATE_TEST_WEBHOOK_KEY'] = 'test-webhook-signing-key';
  t.teardown(() => void delete process.env['GITGATE_TEST_WEBHOOK_KEY']);
  const webhooks = new ApprovalWebhooks([hook(`${server.url}/hook`, { secretEnv: 'GITGATE_TEST_WEBHOOK_KEY' })], pino({ level: 'silent' }));
  webhooks.notify(event());
  await settle(webhooks);
  t.equal(server.received.length, 1);
  const [got] = server.received;
  const payload = JSON.parse(got!.body);
  t.equal(payload.event, 'approval.requested');
  t.equal(payload.approval.id, 'apr_aaaaaaaaaaaaaaaaaaaa');
  t.equal(payload.approval.pusher, 'agent-1');
  t.same(payload.approval.requirements, [{ group: 'production-review', count: 1, reason: 'protected', ref: 'refs/heads/main' }]);
  t.equal(got!.headers['x-gitgate-event'], 'approval.requested');
  t.equal(got!.headers['x-gitgate-signature'], `sha256=${createHmac('sha256', 'test-webhook-signing-key').update(got!.body).digest('hex')}`);
});

t.test('Slack format: text and blocks, escaped', async (t) => {
  const payload = webhookPayload({ ...event('approval.denied'), reason: 'no <script> & no' }, 'd1');
  const body = slackBody(payload);
  t.match(body.text, /^gitgate approval apr_a+ denied by agent-1: agent-1 pushing to demo\/hello \(refs\/heads\/main a{12}\.\.b{12}\)$/);
  t.match(JSON.stringify(body.blocks), /no &lt;script&gt; &amp; no/);
  const server = await endpoint(t);
  const webhooks = new ApprovalWebhooks([hook(server.url, { format: 'slack' })], pino({ level: 'silent' }));
  webhooks.notify(event());
  await settle(webhooks);
  t.same(Object.keys(JSON.parse(server.received[0]!.body)).sort(), ['blocks', 'text']);
});

t.test('retries failures, filters events, logs only the host, never blocks the caller', async (t) => {
  const server = await endpoint(t, 2);
  let logs = '';
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, done) => ((logs += chunk.toString()), done()) }));
  const secretPath = '/services/T000/B000/not-a-real-slack-secret';
  const webhooks = new ApprovalWebhooks([hook(`${server.url}${secretPath}`, { events: ['approval.approved'] })], logger, fetch, 10);
  const result: unknown = webhooks.notify(event('approval.requested'));
  webhooks.notify(event('approval.approved'));
  t.equal(result, undefined, 'notify returns nothing to wait for');
  t.equal(server.received.length, 0, 'it returned before any delivery happened');
  await settle(webhooks);
  t.equal(server.received.length, 3, 'two failures, then delivered');
  t.ok(server.received.every((r) => r.headers['x-gitgate-event'] === 'approval.approved'), 'only the subscribed event');
  t.match(logs, /"attempt":3,"msg":"webhook delivered"/);
  t.notMatch(logs, /not-a-real-slack-secret/, 'the URL path (a secret for Slack) is not logged');
});

t.test('an endpoint that is down is given up after the retries', async (t) => {
  const webhooks = new ApprovalWebhooks([hook('http://127.0.0.1:9/', { retries: 1 })], pino({ level: 'silent' }), fetch, 10);
  webhooks.notify(event());
  await settle(webhooks);
  t.pass('no exception escapes');
});
