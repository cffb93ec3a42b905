// What a service manager, a load balancer and Prometheus see of a gateway that real git has used:
// /healthz, /readyz and /metrics, with the pushes and fetches counted by outcome and nothing in
// them that names a repository, a person or a token.
import t from 'tap';
import { join } from 'node:path';
import { metricSample } from '../metrics/metrics-test-helpers.js';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';

const git = new GitClient();
let harness: GatewayHarness;

t.before(async () => {
  // Pushes needing approval are quarantined at once (no hold).
  harness = await startHarness([], undefined, { approvals: { hold_seconds: 0 } });
});
t.teardown(() => harness.close());

const sample = metricSample;

t.test('health and readiness answer without credentials', async (t) => {
  const health = await fetch(`${harness.gateway.url}/healthz`);
  t.equal(health.status, 200);
  t.same(await health.json(), { status: 'ok' });
  const ready = await fetch(`${harness.gateway.url}/readyz`);
  t.equal(ready.status, 200);
  t.same(await ready.json(), { ready: true });
});

t.test('/metrics counts what git did through the gateway', async (t) => {
  const work = await git.cloneAsAgent(harness.remote('demo/hello'), join(harness.root, 'metrics-clone'));
  await git.commitFile(work, 'notes/metrics.txt', 'counted\n', 'A change to count');
  t.equal((await git.run(['push', 'origin', 'HEAD:refs/heads/feature/metrics'], work)).code, 0);
  await git.ok(['reset', '-q', '--hard', 'origin/main~1'], work);
  await git.commitFile(work, 'notes/rewrite.txt', 'history rewritten\n', 'Rewrite main');
  t.not((await git.run(['push', '--force', 'origin', 'HEAD:main'], work)).code, 0, 'the force-push to main is denied');
  t.not((await git.run(['ls-remote', harness.remote('demo/hello', 'ggt_not_a_real_token')], work)).code, 0);
  await git.ok(['reset', '-q', '--hard', 'origin/main'], work);
  await git.commitFile(work, 'src/hello.js', "console.log('needs review');\n", 'Change production code');
  const held = await git.run(['push', 'origin', 'HEAD:main'], work);
  t.match(held.stderr, /quarantined as apr_/, 'a push needing approval');

  const response = await fetch(`${harness.gateway.url}/metrics`);
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  t.equal(sample(text, 'gitgate_push_decisions_total{result="allowed"}'), 1);
  t.equal(sample(text, 'gitgate_push_decisions_total{result="denied"}'), 1);
  t.equal(sample(text, 'gitgate_push_denials_total{code="PROTECTED_REF_FORCE_PUSH"}'), 1);
  t.equal(sample(text, 'gitgate_push_stage_seconds_count{stage="forward"}'), 1, 'only the allowed push was forwarded');
  t.equal(sample(text, 'gitgate_push_decisions_total{result="approval"}'), 1);
  t.equal(sample(text, 'gitgate_approval_events_total{event="requested"}'), 1);
  t.equal(sample(text, 'gitgate_push_stage_seconds_count{stage="inspect"}'), 3);
  t.ok(sample(text, 'gitgate_pushed_pack_bytes_total') > 0);
  t.ok(sample(text, 'gitgate_fetch_decisions_total{result="allowed"}') >= 2, 'the clone asked for the refs and the objects');
  t.ok(sample(text, 'gitgate_served_bytes_total{service="git-upload-pack"}') > 0);
  t.ok(sample(text, 'gitgate_git_requests_total{service="git-upload-pack",phase="advertisement",status="401"}') >= 1, 'the bad token and git asking without one');
  t.ok(sample(text, 'gitgate_audit_appends_total{result="ok"}') > 0);
  t.equal(sample(text, 'gitgate_audit_appends_total{result="failed"}'), 0);
  t.equal(sample(text, 'gitgate_draining'), 0);
  t.ok(sample(text, 'gitgate_requests_in_flight') >= 1, 'the scrape itself is in flight');
  t.ok(sample(text, 'process_resident_memory_bytes') > 0, "with node's process metrics");
  t.notMatch(text, /demo\/hello|agent-1|ggt_/, 'no repository, subject or token in the metrics');
});
