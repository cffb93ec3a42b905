// Stopping the gateway while git is using it (a deploy, a restart): the requests in flight finish
// within the grace period, new connections are refused, held pushes end their hold with their
// bytes quarantined, and what must be cut is cut with the audit log told. Real git against the
// real `git http-backend`, whose receive-pack requests the tests hold back to keep a push in flight.
import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpBackend, type HttpBackendServer } from '../../testdata/http-backend-server.js';
import { listAuditEvents, pendingForwards } from '../audit/index.js';
import { ensureDemoRepository } from '../demo/demo-setup.js';
import { compileGatewayCli, startChildGateway, type ChildGateway } from './child-gateway.js';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';
import { until } from '../../testdata/wait-until.js';

const git = new GitClient();
let projectRoot: string;
let backend: HttpBackendServer;
let upstreamGitDir: string;

/** Holds the upstream's receive-pack requests until released; `arrived` when one is waiting. */
class ReceivePackGate {
  arrived!: Promise<void>;
  private onArrival!: () => void;
  private onRelease!: () => void;
  private readonly released: Promise<void>;

  constructor() {
    this.arrived = new Promise((resolve) => (this.onArrival = resolve));
    this.released = new Promise((resolve) => (this.onRelease = resolve));
  }

  async hold(request: IncomingMessage): Promise<void> {
    if (request.method !== 'POST' || request.url?.endsWith('/git-receive-pack') !== true) return;
    this.onArrival();
    await this.released;
  }

  release(): void {
    this.onRelease();
  }
}

let gate: ReceivePackGate | undefined;

t.before(async () => {
  projectRoot = mkdtempSync(join(tmpdir(), 'gitgate-shutdown-'));
  ensureDemoRepository(projectRoot);
  upstreamGitDir = join(projectRoot, 'demo/hello.git');
  backend = await startHttpBackend(projectRoot, { holdRequest: async (request) => gate?.hold(request) });
});
t.teardown(async () => {
  gate?.release();
  await backend.close();
});

const upstreamRef = async (ref: string) => (await git.run(['--git-dir', upstreamGitDir, 'rev-parse', '--verify', '-q', ref], projectRoot)).stdout.trim();
const httpUpstream = () => [{ type: 'http', name: 'backend', scheme: 'http', repositories: [`${backend.host}/demo/*`] }];

/** A clone through `harness` with one new commit; returns the clone and the commit. */
async function cloneWithCommit(remote: string, root: string, name: string): Promise<{ clone: string; head: string }> {
  const clone = await git.cloneAsAgent(remote, join(root, name));
  const head = await git.commitFile(clone, `notes/${name}.txt`, `work of ${name}\n`, `Work of ${name}`);
  return { clone, head };
}


t.test('a push being forwarded when the shutdown begins finishes; new connections are refused meanwhile', async (t) => {
  const harness: GatewayHarness = await startHarness(httpUpstream());
  const remote = harness.remote(`${backend.host}/demo/hello`);
  const { clone, head } = await cloneWithCommit(remote, harness.root, 'in-flight');
  gate = new ReceivePackGate();
  const push = git.run(['push', 'origin', 'HEAD:refs/heads/shutdown/in-flight'], clone);
  await gate.arrived;

  const started = Date.now();
  const closing = harness.gateway.close({ graceMs: 20_000 });
  await until('the drain to begin', () => harness.gateway.server.draining, { everyMs: 20 });
  await t.rejects(fetch(`${harness.gateway.url}/healthz`), 'no new connection is taken while draining');
  t.equal(harness.gateway.server.requestsInFlight, 1, 'the push is still in flight');

  gate.release();
  const pushed = await push;
  t.equal(pushed.code, 0, pushed.stderr);
  t.match(pushed.stderr, /\[new branch\]\s+HEAD -> shutdown\/in-flight/);
  const report = await closing;
  t.same({ inFlightAtStart: report.inFlightAtStart, cut: report.cut }, { inFlightAtStart: 1, cut: 0 });
  t.ok(Date.now() - started < 15_000, 'the shutdown ends when the push has, not at the end of the grace period');
  t.equal(await upstreamRef('refs/heads/shutdown/in-flight'), head, 'the push landed');
  const results = await listAuditEvents(harness.gateway.audit.store, { type: 'upstream.result' });
  t.match(JSON.stringify(results.at(-1)?.data), /shutdown\/in-flight/, 'the audit log has the forward and its result');
  t.match(harness.logs(), /"in_flight":1[^}]*shutting down: waiting for the requests in flight/);
});

t.test('a push still in flight when the grace period ends is cut, upstream included, and recorded so', async (t) => {
  const harness = await startHarness(httpUpstream());
  const remote = harness.remote(`${backend.host}/demo/hello`);
  const { clone } = await cloneWithCommit(remote, harness.root, 'cut');
  gate = new ReceivePackGate();
  const push = git.run(['push', 'origin', 'HEAD:refs/heads/shutdown/cut'], clone);
  await gate.arrived;

  const report = await harness.gateway.close({ graceMs: 300 });
  t.same({ inFlightAtStart: report.inFlightAtStart, cut: report.cut }, { inFlightAtStart: 1, cut: 1 });
  const pushed = await push;
  t.not(pushed.code, 0, 'git sees the push fail');
  gate.release();
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(await upstreamRef('refs/heads/shutdown/cut'), '', 'the upstream applied nothing: its request was cut before it ran');
  const results = await listAuditEvents(harness.gateway.audit.store, { type: 'upstream.result' });
  t.equal(results.length, 1, "this gateway's one forward has its result recorded");
  // The upstream had been sent all of it: the gateway cannot know that it never ran it.
  t.match(
    results[0]?.data,
    { landed: null, nothing_applied: false, error: { code: 'UPSTREAM_REQUEST_CUT', message: 'gitgate shut down before the upstream answered' } },
    'as cut, its outcome unknown',
  );
  t.same(
    (await pendingForwards(harness.gateway.audit.store)).map((intent) => intent.request_id),
    [results[0]?.request_id],
    'left for the next start to reconcile with the upstream',
  );
  t.match(harness.logs(), /shutting down: cutting the requests still in flight/);
});

t.test('a push held for approval ends its hold at once, quarantined, and the shutdown does not wait for it', async (t) => {
  const harness = await startHarness([], undefined, { approvals: { hold_seconds: 60, progress_interval_seconds: 5 } });
  const clone = await git.cloneAsAgent(harness.remote('demo/hello'), join(harness.root, 'held'));
  await git.commitFile(clone, 'src/hello.js', "console.log('held');\n", 'Change production code');
  const push = git.run(['push', 'origin', 'HEAD:main'], clone);
  await until('the hold', () => harness.logs().includes('push held for approval'), { everyMs: 20 });

  const started = Date.now();
  const report = await harness.gateway.close({ graceMs: 20_000 });
  t.equal(report.cut, 0);
  t.ok(Date.now() - started < 10_000, 'the hold does not keep the shutdown waiting');
  const pushed = await push;
  t.equal(pushed.code, 1);
  t.match(pushed.stderr, /the gateway is shutting down and apr_\w+ is not decided yet; nothing was applied yet/);
  t.match(pushed.stderr, /quarantined as apr_\w+: once approved, gitgate delivers it upstream itself/);
  t.match(harness.logs(), /"shutdown":true[^}]*hold ended without a decision; push quarantined/);
});

t.test('gitgate serve: SIGTERM drains (and says so), a second signal stops at once', async (t) => {
  const build = await compileGatewayCli();
  t.teardown(() => build.remove());
  const root = mkdtempSync(join(tmpdir(), 'gitgate-shutdown-cli-'));
  mkdirSync(join(root, 'work'));
  const start = (name: string): Promise<ChildGateway> =>
    startChildGateway({ cli: build.cli, root: join(root, name), upstreams: httpUpstream(), extraConfig: { shutdown: { grace_seconds: 60 } } });

  for (const mode of ['drain', 'force'] as const) {
    mkdirSync(join(root, mode));
    const gateway = await start(mode);
    t.teardown(() => gateway.close());
    const { clone } = await cloneWithCommit(gateway.remote(`${backend.host}/demo/hello`), join(root, 'work'), mode);
    gate = new ReceivePackGate();
    const push = git.run(['push', 'origin', `HEAD:refs/heads/shutdown/cli-${mode}`], clone);
    await gate.arrived;
    gateway.kill('SIGTERM');
    await until('the shutdown message', () => gateway.stderr().includes('shutting down'), { everyMs: 20 });
    t.match(gateway.stderr(), /requests in flight have 60 s to finish \(signal again to stop at once\)/);
    if (mode === 'drain') {
      gate.release();
      const pushed = await push;
      t.equal(pushed.code, 0, pushed.stderr);
      t.equal(await gateway.exited, 0);
      t.notMatch(gateway.stderr(), /cut \d+ request/);
    } else {
      gateway.kill('SIGTERM');
      t.equal(await gateway.exited, 0, 'the second signal ends the grace period at once');
      t.match(gateway.stderr(), /cut 1 request\(s\) still in flight/);
      t.not((await push).code, 0);
      gate.release();
    }
    t.match(gateway.stderr(), /gitgate: stopped/);
  }
});
