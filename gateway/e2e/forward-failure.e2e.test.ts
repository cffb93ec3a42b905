import t from 'tap';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestEvents, summarizeRequests } from '../audit/index.js';
import { until } from '../../testdata/wait-until.js';
import { startHttpBackend, type HttpBackendServer } from '../../testdata/http-backend-server.js';
import { ensureDemoRepository } from '../demo/demo-setup.js';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';

// An allowed push whose upstream fails before answering: git is told per ref what is known (nothing
// applied, or that the upstream may have applied it), the audit log records which, and git does
// not send the push again. The upstream is the real git http-backend; the failures are real
// connection resets.

const git = new GitClient();
let projectRoot: string;
let backend: HttpBackendServer;
let harness: GatewayHarness;
let work: string;
/** When set, the upstream runs it on the next push it is sent, before reading its body. */
let onReceivePack: ((request: IncomingMessage) => Promise<void>) | undefined;
/** When set, the upstream runs it on the next upload-pack POST, instead of answering it. */
let onUploadPack: ((request: IncomingMessage) => Promise<void>) | undefined;

const upstreamGitDir = () => join(projectRoot, 'demo', 'hello.git');

async function upstreamRef(ref: string): Promise<string> {
  return (await git.run(['--git-dir', upstreamGitDir(), 'rev-parse', '--verify', '-q', ref], projectRoot)).stdout.trim();
}

/**
 * The outcomes the audit log recorded for the one forward of `ref`, once there are `count` of them
 * (an unknown outcome is followed by the one checked upstream).
 */
async function recordedOutcomes(t: { equal: (a: unknown, b: unknown, message: string) => unknown }, ref: string, count = 1): Promise<Record<string, unknown>[]> {
  const forwards = harness.logs().split('\n').filter((line) => line.includes(ref) && line.includes('"msg":"push allowed; forwarding"'));
  t.equal(forwards.length, 1, 'forwarded once: git did not send the push again');
  const requestId = /"request_id":"([^"]+)"/.exec(forwards[0] ?? '')?.[1];
  if (requestId === undefined) return [];
  const outcomes = async () => (await requestEvents(harness.gateway.audit.store, requestId)).filter((event) => event.type === 'upstream.result').map((event) => event.data);
  await until('the forward outcomes are recorded', async () => (await outcomes()).length >= count, { ms: 30_000 });
  return outcomes();
}

/** A pre-receive hook in the upstream that says when it starts, sleeps, says when it ends, and exits `code`. */
function slowHook(t: { teardown: (fn: () => void) => void }, name: string, sleepSeconds: number, code: number): { started: string; finished: string } {
  const hook = join(upstreamGitDir(), 'hooks', 'pre-receive');
  const started = join(projectRoot, `${name}-started`);
  const finished = join(projectRoot, `${name}-finished`);
  writeFileSync(hook, `#!/bin/sh\ntouch '${started}'\nsleep ${sleepSeconds}\ntouch '${finished}'\nexit ${code}\n`);
  chmodSync(hook, 0o755);
  t.teardown(() => writeFileSync(hook, '#!/bin/sh\nexit 0\n'));
  return { started, finished };
}

t.before(async () => {
  projectRoot = mkdtempSync(join(tmpdir(), 'gitgate-forward-failure-'));
  ensureDemoRepository(projectRoot);
  backend = await startHttpBackend(projectRoot, {
    holdRequest: async (request) => {
      if (request.method === 'POST' && request.url?.endsWith('/git-upload-pack') && onUploadPack !== undefined) {
        const run = onUploadPack;
        onUploadPack = undefined;
        await run(request);
        return;
      }
      // Not git's probe before a large push (a lone flush): the push itself.
      if (request.method !== 'POST' || !request.url?.endsWith('/git-receive-pack') || Number(request.headers['content-length'] ?? 0) < 1000 || onReceivePack === undefined) return;
      const run = onReceivePack;
      onReceivePack = undefined;
      await run(request);
    },
  });
  // Unknown outcomes are checked upstream 1, 2.5 and 5 s after the failure (30 s to 2 min in service).
  harness = await startHarness([{ type: 'http', name: 'backend', scheme: 'http', repositories: [`${backend.host}/demo/*`] }], undefined, {}, { outcomeCheckAfterMs: [1000, 2500, 5000] });
  mkdirSync(join(harness.root, 'work'));
  work = await git.cloneAsAgent(harness.remote(`${backend.host}/demo/hello`), join(harness.root, 'work', 'clone'));
});
t.teardown(async () => {
  await harness.close();
  await backend.close();
});

t.test('the upstream had the whole push and its connection broke before it answered: outcome unknown, and git is told to look', async (t) => {
  // The upstream takes its time in its pre-receive hook, then refuses; meanwhile its connection is cut.
  const { started, finished } = slowHook(t, 'refuses', 2, 1);
  await git.commitFile(work, 'unknown.txt', 'delivered, then the connection broke\n', 'delivered then cut');
  const pushing = git.run(['push', 'origin', 'HEAD:refs/heads/delivered-then-cut'], work);
  await until('the upstream runs its pre-receive hook', () => existsSync(started));
  backend.cutConnections();
  const push = await pushing;
  t.not(push.code, 0, 'git reports the push failed');
  t.match(push.stderr, /! \[remote rejected\] HEAD -> delivered-then-cut \(gitgate: upstream failed, outcome unknown \(UPSTREAM_FAILED\)\)/);
  t.match(push.stderr, /remote: gitgate allowed this push and the upstream received all of it, but it failed before answering: /);
  t.match(push.stderr, /remote: gitgate cannot tell whether the upstream applied it\. Look with `git ls-remote` \(or fetch\) before pushing again\./);
  t.notMatch(push.stderr, /nothing was applied/i);
  // The upstream's git went on without its connection; its hook refuses the push.
  await until('the upstream hook has finished', () => existsSync(finished));
  await sleep(200);
  t.equal(await upstreamRef('refs/heads/delivered-then-cut'), '', 'the hook refused it: nothing landed');
  // Recorded as unknown, then as checked upstream: still at its old id (absent) at the last check.
  const [failed, checked] = await recordedOutcomes(t, 'refs/heads/delivered-then-cut', 2);
  t.match(failed, { landed: null, nothing_applied: false, error: { code: 'UPSTREAM_FAILED' } });
  t.match(checked, { reconciled: true, landed: [], refs: [{ ref: 'refs/heads/delivered-then-cut', state: 'not-landed' }] });
  t.ok((checked!['checked_after_ms'] as number) >= 5000, 'not landed is recorded at the last check only');
});

t.test('the upstream had the whole push, its connection broke, and it applied the push anyway: the check records it landed', async (t) => {
  const { started } = slowHook(t, 'accepts', 1, 0);
  const pushed = await git.commitFile(work, 'lands.txt', 'delivered, cut, then applied\n', 'lands after the cut');
  const pushing = git.run(['push', 'origin', 'HEAD:refs/heads/lands-after-cut'], work);
  await until('the upstream runs its pre-receive hook', () => existsSync(started));
  backend.cutConnections();
  const push = await pushing;
  t.not(push.code, 0, 'git could not be told it landed');
  t.match(push.stderr, /gitgate cannot tell whether the upstream applied it/);
  const [failed, checked] = await recordedOutcomes(t, 'refs/heads/lands-after-cut', 2);
  t.match(failed, { landed: null, nothing_applied: false });
  t.match(checked, { reconciled: true, landed: ['refs/heads/lands-after-cut'], refs: [{ state: 'landed', found: pushed }] });
  t.equal(await upstreamRef('refs/heads/lands-after-cut'), pushed, 'it did land');
  const summaries = await summarizeRequests(harness.gateway.audit.store);
  t.ok(
    summaries.some((row) => row.landed?.includes('refs/heads/lands-after-cut')),
    'the request list (gitgate audit requests) shows it landed',
  );
});

t.test('the upstream reset its connection before it had read the push: nothing applied, and git is told so', async (t) => {
  // 24 MB of random files: more than the sockets between gateway and upstream hold, so the gateway
  // cannot hand all of it over to an upstream that never reads.
  for (let i = 0; i < 3; i++) writeFileSync(join(work, `bulk-${i}.bin`), randomBytes(8 * 1024 * 1024));
  await git.ok(['add', '.'], work);
  await git.ok(['commit', '-q', '-m', 'bulk, never read by the upstream'], work);
  onReceivePack = async (request) => {
    await sleep(300);
    request.socket.destroy();
  };
  const push = await git.run(['push', 'origin', 'HEAD:refs/heads/never-read'], work);
  t.not(push.code, 0, 'git reports the push failed');
  t.match(push.stderr, /! \[remote rejected\] HEAD -> never-read \(gitgate: upstream unavailable \(UPSTREAM_UNREACHABLE\)\)/);
  t.match(push.stderr, /remote: gitgate allowed this push but could not deliver it: cannot reach the upstream http:\/\/127\.0\.0\.1:[0-9]+\/demo\/hello\.git\/git-receive-pack: (ECONNRESET|EPIPE)\. Nothing was applied; push again later\./);
  t.match(await recordedOutcomes(t, 'refs/heads/never-read'), [{ landed: [], nothing_applied: true, error: { code: 'UPSTREAM_UNREACHABLE' } }]);
  t.equal(await upstreamRef('refs/heads/never-read'), '', 'nothing landed');

  const again = await git.run(['push', 'origin', 'HEAD:refs/heads/never-read'], work);
  t.equal(again.code, 0, `the gateway serves on and the same push lands: ${again.stderr}`);
  t.equal(await upstreamRef('refs/heads/never-read'), (await git.ok(['rev-parse', 'HEAD'], work)).trim());
});

t.test('a fetch whose upstream answer breaks off before its first byte is answered 502 with the reason, not a cut connection', async (t) => {
  // Headers, then the connection closes: an upstream (or a proxy before it) that dies as it answers.
  onUploadPack = async (request) => {
    request.socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/x-git-upload-pack-result\r\ntransfer-encoding: chunked\r\n\r\n');
    request.socket.destroySoon();
  };
  const fetch = await git.run(['-c', 'protocol.version=2', 'fetch', 'origin'], work);
  t.not(fetch.code, 0, 'git reports the fetch failed');
  // git does not print the body of a failed POST, only its status.
  t.match(fetch.stderr, /RPC failed; HTTP 502/);
  const failed = harness.logs().split('\n').find((line) => line.includes('"msg":"upstream failed"') && line.includes('broke off before its first byte'));
  const requestId = /"request_id":"([^"]+)"/.exec(failed ?? '')?.[1];
  t.ok(requestId !== undefined, 'logged with its request id');
  const events = await requestEvents(harness.gateway.audit.store, requestId!);
  t.match(events.find((event) => event.type === 'error')?.data, { code: 'UPSTREAM_FAILED', message: "the upstream's answer broke off before its first byte: aborted" }, 'the audit log has the reason');
  const again = await git.run(['-c', 'protocol.version=2', 'fetch', 'origin'], work);
  t.equal(again.code, 0, `the next fetch is served: ${again.stderr}`);
});
