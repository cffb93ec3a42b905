import t from 'tap';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listAuditEvents, requestEvents } from '../audit/index.js';
import { capturedIO } from '../cli/captured-io.js';
import { allCommands } from '../cli/commands.js';
import { runCli } from '../cli/run.js';
import { metricSample } from '../metrics/metrics-test-helpers.js';
import { fakeGithubToken } from '../secrets/test-helpers.js';
import { startApiHarness, type ApiHarness } from './github-api-test-harness.js';

let h: ApiHarness;
t.before(async () => {
  h = await startApiHarness();
});
t.teardown(() => h.close());

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

t.test('every API call is an api.call event: route, params, decision, status, bytes; no secret in the log', async (t) => {
  await (await h.call('GET', '/repos/acme/app/contents/config/settings.py')).arrayBuffer();
  await (await h.call('DELETE', '/repos/acme/app')).arrayBuffer();
  const secret = fakeGithubToken(5);
  await (await h.call('POST', '/repos/acme/app/git/blobs', { body: { content: `k=${secret}`, encoding: 'utf-8' } })).arrayBuffer();
  await (await h.call('POST', '/repos/acme/app/issues/1/comments', { body: { body: 'ok' } })).arrayBuffer();
  await (await h.call('GET', '/repos/acme/app', { token: 'ggt_wrong' })).arrayBuffer();

  // The completed event is appended once the answer is out: wait for the last one.
  let events = await listAuditEvents(h.gateway.gateway.audit.store, { type: 'api.call' });
  for (let i = 0; i < 100 && events.filter((e) => e.data['phase'] === 'completed').length < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    events = await listAuditEvents(h.gateway.gateway.audit.store, { type: 'api.call' });
  }
  const completed = events.filter((e) => e.data['phase'] === 'completed');
  t.equal(completed.length, 5);
  const [read, deletion, blob, comment, unauthenticated] = completed;
  t.match(read, {
    repository: 'acme/app',
    actor: { subject: 'agent-1' },
    data: { method: 'GET', route: '/repos/{owner}/{repo}/contents/{path}', params: { owner: 'acme', repo: 'app', path: 'config/settings.py' }, decision: 'allow', status: 200 },
  });
  t.ok((read!.data['bytes_out'] as number) > 100);
  t.match(deletion, { data: { method: 'DELETE', route: '/repos/{owner}/{repo}', decision: 'deny', deny: ['API_REPOSITORY_DELETE'], status: 403, error: 'API_POLICY_DENIED' } });
  t.match(blob, { data: { decision: 'deny', deny: ['SECRET_DETECTED'], status: 403 } });
  t.match(comment, { data: { decision: 'allow', status: 201 } });
  t.ok((comment!.data['bytes_in'] as number) > 0);
  t.match(unauthenticated, { actor: null, data: { status: 401, error: 'API_UNAUTHENTICATED' } });
  const forwarding = events.filter((e) => e.data['phase'] === 'forwarding');
  t.same(forwarding.map((e) => e.data['route']), ['/repos/{owner}/{repo}/issues/{issue_number}/comments'], 'the allowed write was on record before it was sent');
  t.ok(completed.every((e) => typeof e.request_id === 'string'));

  const stored = filesUnder(h.gateway.config.audit.directory).map((f) => readFileSync(f, 'utf8')).join('\n');
  t.ok(stored.includes('api.call'));
  t.notMatch(stored, fakeGithubToken(99), 'the gateway credential is not in the audit log');
  t.notMatch(stored, h.gateway.token);
  t.notMatch(stored, secret);
  t.notMatch(stored, h.plantedSecret);
});

t.test('the same calls in /metrics: by method, decision and status, with the refusal codes', async (t) => {
  const text = await (await fetch(`${h.gateway.gateway.url}/metrics`)).text();
  t.ok(metricSample(text, 'gitgate_api_calls_total{method="GET",decision="allow",status="200"}') >= 1);
  t.equal(metricSample(text, 'gitgate_api_calls_total{method="DELETE",decision="deny",status="403"}'), 1);
  t.equal(metricSample(text, 'gitgate_api_calls_total{method="POST",decision="allow",status="201"}'), 1);
  t.equal(metricSample(text, 'gitgate_api_calls_total{method="GET",decision="none",status="401"}'), 1, 'refused before any decision');
  t.equal(metricSample(text, 'gitgate_api_refusals_total{code="API_REPOSITORY_DELETE"}'), 1);
  t.equal(metricSample(text, 'gitgate_api_refusals_total{code="SECRET_DETECTED"}'), 1);
  t.equal(metricSample(text, 'gitgate_api_refusals_total{code="API_UNAUTHENTICATED"}'), 1);
  t.notMatch(text, /acme|agent-1/, 'no repository or subject');
});

t.test('each decision is a policy.decision event with the masked input, and gitgate audit replay replays it', async (t) => {
  const secret = fakeGithubToken(6);
  const response = await h.call('PUT', '/repos/acme/app/contents/src/a.py', { body: { message: 'x', content: Buffer.from(`T = "${secret}"`).toString('base64'), branch: 'feature/x' } });
  t.equal(response.status, 403);
  await response.arrayBuffer();
  const calls = await listAuditEvents(h.gateway.gateway.audit.store, { type: 'api.call' });
  const requestId = calls.at(-1)!.request_id!;
  const events = await requestEvents(h.gateway.gateway.audit.store, requestId);
  const decision = events.find((e) => e.type === 'policy.decision')!;
  t.match(decision.data, { kind: 'api', path: 'gitgate/api', input: { kind: 'api', api: { route: '/repos/{owner}/{repo}/contents/{path}', target_ref: 'refs/heads/feature/x' } } });
  t.notMatch(JSON.stringify(decision.data), secret);
  const configFile = join(h.gateway.root, 'replay.yaml');
  writeFileSync(configFile, 'listen: { host: 127.0.0.1, port: 0 }\ndata_dir: data\nupstreams:\n  - { type: file, name: local, path: upstream }\n');
  const io = capturedIO();
  const code = await runCli(['audit', 'replay', requestId, '--json', '--config', configFile], allCommands, io);
  t.equal(code, 0, io.err);
  const row = JSON.parse(io.out.trim().split('\n')[0]!) as { same: boolean; recorded: { result: { deny: { code: string }[] } } };
  t.equal(row.same, true);
  t.same(row.recorded.result.deny.map((d) => d.code), ['SECRET_DETECTED']);
});
