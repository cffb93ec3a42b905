import t, { type Test } from 'tap';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OperationsConfig } from '../config/operations-config.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { OperationsHandler } from './operations-handler.js';
import type { AuditEvent, AuditEventInput } from '../audit/index.js';

/** The handler on a real loopback server; `draining` and the audit log are the test's to set. */
async function serve(t: Test, config: OperationsConfig, state = { draining: false }) {
  const metrics = new GatewayMetrics({ requestsInFlight: () => 0, draining: () => state.draining });
  const handler = new OperationsHandler(config, metrics, { draining: () => state.draining });
  const server: Server = createServer((request, response) => void handler.handle(request, response, new URL(request.url ?? '/', 'http://x')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, metrics, handler, state };
}

const open: OperationsConfig = { shutdownGraceSeconds: 25, metricsToken: undefined, clientIdleSeconds: 60, concurrentPushes: 8, pushQueueSeconds: 60 };

t.test('claims GET and HEAD of its three paths only', async (t) => {
  const handler = new OperationsHandler(open, new GatewayMetrics({ requestsInFlight: () => 0, draining: () => false }), { draining: () => false });
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    t.ok(handler.claims('GET', new URL(path, 'http://x')), path);
    t.ok(handler.claims('HEAD', new URL(path, 'http://x')), `HEAD ${path}`);
    t.notOk(handler.claims('POST', new URL(path, 'http://x')), `POST ${path}`);
  }
  t.notOk(handler.claims('GET', new URL('/metrics/info/refs', 'http://x')), 'a repository named metrics stays git');
  t.notOk(handler.claims('GET', new URL('/healthz.git/info/refs', 'http://x')));
});

t.test('readiness: 503 with the reasons while shutting down or while the audit log fails', async (t) => {
  const { url, metrics, state } = await serve(t, open);
  t.equal((await fetch(`${url}/readyz`)).status, 200);
  state.draining = true;
  const draining = await fetch(`${url}/readyz`);
  t.equal(draining.status, 503);
  t.same(await draining.json(), { ready: false, reasons: ['shutting down'] });
  t.equal((await fetch(`${url}/healthz`)).status, 200, 'still alive while draining');
  state.draining = false;

  let failing = true;
  const log = metrics.observeAuditLog({
    append: async (event: AuditEventInput) => {
      if (failing) throw new Error('disk full');
      return event as unknown as AuditEvent;
    },
  });
  await t.rejects(log.append({ type: 'request.received', data: {} } as unknown as AuditEventInput));
  const broken = await fetch(`${url}/readyz`);
  t.equal(broken.status, 503);
  t.same(await broken.json(), { ready: false, reasons: ['the audit log refuses appends'] });
  t.match(await (await fetch(`${url}/metrics`)).text(), /gitgate_audit_appends_total\{result="failed"\} 1/);
  failing = false;
  await log.append({ type: 'request.received', data: {} } as unknown as AuditEventInput);
  t.equal((await fetch(`${url}/readyz`)).status, 200, 'ready again once an append succeeds');
});

t.test('/metrics with a token from an env var: bearer required, compared whole, closed when the variable is unset', async (t) => {
  const name = 'GITGATE_TEST_METRICS_TOKEN';
  const token = `metrics-${'0123456789abcdef'.repeat(2)}`;
  const { url } = await serve(t, { ...open, metricsToken: { kind: 'env', name } });
  delete process.env[name];
  const unset = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(unset.status, 503, 'fails closed without the variable');
  t.match(await unset.text(), /\$GITGATE_TEST_METRICS_TOKEN\) is not available/);
  process.env[name] = token;
  t.teardown(() => delete process.env[name]);
  const none = await fetch(`${url}/metrics`);
  t.equal(none.status, 401);
  t.equal(none.headers.get('www-authenticate'), 'Bearer realm="gitgate-metrics"');
  for (const wrong of [token.slice(0, -1), `${token}x`, token.toUpperCase(), `Basic ${token}`]) {
    const response = await fetch(`${url}/metrics`, { headers: { authorization: wrong.startsWith('Basic') ? wrong : `Bearer ${wrong}` } });
    t.equal(response.status, 401, 'a near miss is refused');
    t.notMatch(await response.text(), token, 'the token is never echoed');
  }
  const right = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(right.status, 200);
  t.match(await right.text(), /^# HELP/m);
});

t.test('/metrics with a token file, read at each scrape (rotation)', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'gitgate-metrics-')), 'token');
  writeFileSync(file, 'first-metrics-token\n');
  const { url } = await serve(t, { ...open, metricsToken: { kind: 'file', path: file } });
  t.equal((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer first-metrics-token' } })).status, 200);
  writeFileSync(file, 'second-metrics-token\n');
  t.equal((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer first-metrics-token' } })).status, 401);
  t.equal((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer second-metrics-token' } })).status, 200);
});

t.test('/metrics without a token: loopback clients only', async (t) => {
  const handler = new OperationsHandler(open, new GatewayMetrics({ requestsInFlight: () => 0, draining: () => false }), { draining: () => false });
  for (const [address, status] of [
    ['127.0.0.1', 200],
    ['::1', 200],
    ['::ffff:127.0.0.1', 200],
    ['10.1.2.3', 403],
    ['::ffff:10.1.2.3', 403],
    ['2001:db8::1', 403],
    [undefined, 403],
  ] as const) {
    const answer = await answerOf(handler, address);
    t.equal(answer.status, status, String(address));
    if (status === 403) t.match(answer.body, /loopback clients only; set metrics\.token_env or metrics\.token_file/);
  }
});

/** What the handler answers a scrape from `remoteAddress` (addresses a test cannot connect from). */
async function answerOf(handler: OperationsHandler, remoteAddress: string | undefined): Promise<{ status: number; body: string }> {
  let status = 0;
  let body = '';
  const request = { socket: { remoteAddress }, headers: {}, resume: () => undefined } as unknown as IncomingMessage;
  const response = {
    writeHead: (code: number) => (status = code),
    end: (text: string) => (body = text),
  } as unknown as ServerResponse;
  await handler.handle(request, response, new URL('http://x/metrics'));
  return { status, body };
}
