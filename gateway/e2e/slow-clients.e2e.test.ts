// Clients on slow and broken networks, with the real git client behind a TCP relay that throttles
// or stops its bytes: a slow push must not be cut however long it takes, a client that stops
// sending must be, and either way the upstream gets nothing half-done and the audit log says why.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { listAuditEvents } from '../audit/index.js';
import { startTcpRelay, type TcpRelayOptions } from '../../testdata/tcp-relay.js';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';
import { until } from '../../testdata/wait-until.js';

const git = new GitClient();

/** A gateway that cuts a client idle for `idleSeconds` (and more settings), and a relay in front of it. */
async function gatewayBehindRelay(t: Test, idleSeconds: number | undefined, relayOptions: TcpRelayOptions, extraConfig: Record<string, unknown> = {}) {
  const harness = await startHarness([], undefined, { ...extraConfig, ...(idleSeconds === undefined ? {} : { timeouts: { client_idle_seconds: idleSeconds } }) });
  t.teardown(() => harness.close());
  const origin = new URL(harness.gateway.url);
  const relay = await startTcpRelay({ host: origin.hostname, port: Number(origin.port) }, relayOptions);
  t.teardown(() => relay.close());
  const viaRelay = (path: string) => harness.remote(path).replace(origin.host, `${relay.host}:${relay.port}`);
  return { harness, relay, viaRelay };
}

/** A clone with a commit of `bytes` random bytes on top of main (a pack about that large). */
async function workWithLargeCommit(harness: GatewayHarness, bytes: number): Promise<string> {
  const work = await git.cloneAsAgent(harness.remote('demo/hello'), join(harness.root, `work-${bytes}`));
  await git.commitFile(work, 'data/blob.bin', randomBytes(bytes), 'A large random file');
  return work;
}

const upstreamRef = async (harness: GatewayHarness, ref: string) =>
  (await git.run(['--git-dir', join(harness.upstreamDir, 'demo/hello.git'), 'rev-parse', '--verify', '-q', ref], harness.root)).stdout.trim();

async function errorCodes(harness: GatewayHarness): Promise<string[]> {
  return (await listAuditEvents(harness.gateway.audit.store, { type: 'error' })).map((event) => String(event.data['code']));
}

/**
 * The error codes once at least `count` are recorded: a cut request's handler can end before the
 * event that says why is written (it is noted, not awaited).
 */
async function recordedErrorCodes(harness: GatewayHarness, count = 1): Promise<string[]> {
  await until(`${count} error(s) to be recorded`, async () => (await errorCodes(harness)).length >= count, { ms: 5_000, everyMs: 25 });
  return errorCodes(harness);
}

function settled(harness: GatewayHarness): Promise<void> {
  return until('the requests in flight to end', () => harness.gateway.server.requestsInFlight === 0, { ms: 5_000, everyMs: 25 });
}

t.test('a push whose bytes arrive slowly lands however long it takes; node no longer cuts a request after 5 minutes', async (t) => {
  // 300 kB at 100 kB/s: three times the idle timeout, but never idle.
  const { harness, viaRelay } = await gatewayBehindRelay(t, 1, { clientBytesPerSecond: 100_000 });
  t.equal(harness.gateway.server.server.requestTimeout, 0);
  const work = await workWithLargeCommit(harness, 300_000);
  const started = Date.now();
  const push = await git.run(['push', viaRelay('demo/hello'), 'HEAD:refs/heads/slow-link'], work);
  t.equal(push.code, 0, push.stderr);
  t.ok(Date.now() - started > 2_000, `the upload took ${Date.now() - started} ms, longer than the 1 s idle timeout`);
  t.equal(await upstreamRef(harness, 'refs/heads/slow-link'), (await git.ok(['rev-parse', 'HEAD'], work)).trim());
  t.same(await errorCodes(harness), []);
});

t.test('a push whose client stops sending is cut after the idle time: recorded, nothing applied, the gateway serves on', async (t) => {
  const { harness, relay, viaRelay } = await gatewayBehindRelay(t, 1, { stallPostBodyAfterBytes: 100_000 });
  const work = await workWithLargeCommit(harness, 300_000);
  const started = Date.now();
  const push = await git.run(['push', viaRelay('demo/hello'), 'HEAD:refs/heads/stalled'], work);
  const took = Date.now() - started;
  t.not(push.code, 0);
  t.match(push.stderr, /408/, 'git is answered 408 Request Timeout');
  t.ok(took >= 1_000 && took < 10_000, `cut after ${took} ms`);
  t.equal(relay.stalled, 0, 'the stalled connection is closed');
  await settled(harness);
  t.equal(harness.gateway.server.requestsInFlight, 0, 'the push handler has ended');
  t.equal(await upstreamRef(harness, 'refs/heads/stalled'), '', 'the upstream has nothing of it');
  t.same(await recordedErrorCodes(harness), ['CLIENT_IDLE_TIMEOUT'], 'recorded once, as the client idling, not as a gateway failure');
  const [cut] = await listAuditEvents(harness.gateway.audit.store, { type: 'error' });
  t.match(cut?.data['message'], /no bytes of the request arrived for 1 s/);
  const logs = harness.logs().split('\n').filter((line) => line.includes('CLIENT_IDLE_TIMEOUT'));
  t.equal(logs.length, 1);
  t.match(JSON.parse(logs[0]!), { level: 40, msg: 'client stopped sending its request; connection closed' });
  t.notMatch(harness.logs(), /"level":50/, 'nothing is logged as an error');
  // The same client on a good network is served.
  const direct = await git.run(['push', harness.remote('demo/hello'), 'HEAD:refs/heads/stalled'], work);
  t.equal(direct.code, 0, direct.stderr);
});

t.test('a clone whose client stops in the middle of its request is cut and not blamed on the upstream', async (t) => {
  const { harness, viaRelay } = await gatewayBehindRelay(t, 1, { stallPostBodyAfterBytes: 20 });
  const clone = await git.run(['clone', '-q', viaRelay('demo/hello'), 'stalled-clone'], harness.root);
  t.not(clone.code, 0, clone.stderr);
  await settled(harness);
  t.equal(harness.gateway.server.requestsInFlight, 0);
  // git may try a stalled request again on a new connection: each is cut and recorded once.
  const errors = await listAuditEvents(harness.gateway.audit.store, { type: 'error' });
  t.ok(errors.length >= 1);
  t.same(new Set(errors.map((event) => event.data['code'])), new Set(['CLIENT_IDLE_TIMEOUT']));
  t.equal(new Set(errors.map((event) => event.request_id)).size, errors.length, 'one record per request');
  t.notMatch(harness.logs(), /upstream failed|"level":50/);
  const metrics = await harness.gateway.server.metrics.registry.metrics();
  t.notMatch(metrics, /gitgate_upstream_errors_total\{/, 'no upstream error is counted');
});

t.test('a connection lost in the middle of a push is recorded as the client leaving, not as a gateway failure', async (t) => {
  // The default idle timeout (60 s) is not reached: the network drops the connection first.
  const { harness, relay, viaRelay } = await gatewayBehindRelay(t, undefined, { stallPostBodyAfterBytes: 100_000 });
  const work = await workWithLargeCommit(harness, 300_000);
  const pushing = git.run(['push', viaRelay('demo/hello'), 'HEAD:refs/heads/dropped'], work);
  await until('the push to stall in the middle of its body', () => relay.stalled > 0 && harness.gateway.server.requestsInFlight > 0, { ms: 10_000, everyMs: 25 });
  t.equal(relay.stalled, 1, 'the push is in the middle of its body');
  await relay.close();
  const push = await pushing;
  t.not(push.code, 0);
  await settled(harness);
  t.equal(harness.gateway.server.requestsInFlight, 0);
  t.equal(await upstreamRef(harness, 'refs/heads/dropped'), '');
  t.same(await recordedErrorCodes(harness), ['CLIENT_DISCONNECTED']);
  t.notMatch(harness.logs(), /"level":50/);
});

t.test('pushes beyond limits.concurrent_pushes wait for their turn, and get 503 when none comes within the queue time', async (t) => {
  const { harness: limited, relay, viaRelay } = await gatewayBehindRelay(t, undefined, { stallPostBodyAfterBytes: 100_000 }, { limits: { concurrent_pushes: 1, push_queue_seconds: 2 } });
  const work = await workWithLargeCommit(limited, 300_000);
  // The first push takes the only turn and holds it: its client stalls in the middle of the body.
  const holding = git.run(['push', viaRelay('demo/hello'), 'HEAD:refs/heads/holder'], work);
  await until('the first push to take the turn', () => limited.gateway.server.pushes.admitted > 0, { ms: 10_000, everyMs: 25 });
  t.same(limited.gateway.server.pushes, { admitted: 1, queued: 0 });
  const busy = await git.run(['push', limited.remote('demo/hello'), 'HEAD:refs/heads/busy'], work);
  t.not(busy.code, 0);
  t.match(busy.stderr, /503/, 'git is answered 503');
  t.equal(await upstreamRef(limited, 'refs/heads/busy'), '');
  const refused = (await listAuditEvents(limited.gateway.audit.store, { type: 'error' })).find((event) => event.data['code'] === 'PUSH_CAPACITY');
  t.match(refused?.data['message'], /gitgate is receiving 1 pushes already and this one found no turn within 2 s; nothing was applied/);
  const metrics = await limited.gateway.server.metrics.registry.metrics();
  t.match(metrics, /gitgate_push_decisions_total\{result="busy"\} 1/);
  t.match(metrics, /gitgate_pushes_admitted 1/);
  // A waiting push whose client goes away leaves the queue.
  const leaver = spawn('git', ['push', limited.remote('demo/hello'), 'HEAD:refs/heads/leaver'], { cwd: work, env: git.env, stdio: 'ignore' });
  await until('a push to wait in the queue', () => limited.gateway.server.pushes.queued > 0, { ms: 10_000, everyMs: 25 });
  t.same(limited.gateway.server.pushes, { admitted: 1, queued: 1 });
  leaver.kill('SIGKILL');
  await until('the leaver to leave the queue', () => limited.gateway.server.pushes.queued !== 1, { ms: 10_000, everyMs: 25 });
  t.same(limited.gateway.server.pushes, { admitted: 1, queued: 0 }, 'the leaver is out of the queue');
  // A push waiting when the turn frees up gets it: the stalled client's connection drops.
  const waiting = git.run(['push', limited.remote('demo/hello'), 'HEAD:refs/heads/waited'], work);
  await until('a push to wait in the queue', () => limited.gateway.server.pushes.queued > 0, { ms: 10_000, everyMs: 25 });
  t.same(limited.gateway.server.pushes, { admitted: 1, queued: 1 });
  await relay.close();
  t.not((await holding).code, 0);
  const waited = await waiting;
  t.equal(waited.code, 0, waited.stderr);
  t.equal(await upstreamRef(limited, 'refs/heads/waited'), (await git.ok(['rev-parse', 'HEAD'], work)).trim());
  await settled(limited);
  t.same(limited.gateway.server.pushes, { admitted: 0, queued: 0 }, 'every turn was given back');
  t.same(new Set(await recordedErrorCodes(limited, 3)), new Set(['PUSH_CAPACITY', 'CLIENT_DISCONNECTED']));
});
