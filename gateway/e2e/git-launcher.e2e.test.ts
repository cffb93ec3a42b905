import t from 'tap';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requestEvents } from '../audit/index.js';
import { until } from '../../testdata/wait-until.js';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';

const git = new GitClient();
let harness: GatewayHarness;
let work: string;

function parentOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ')[1]);
}

/** The git launcher of this process (the harness runs the gateway here): the child running git-launcher-process. */
function launcherPid(): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      if (parentOf(Number(entry)) === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes('git-launcher-process')) return Number(entry);
    } catch {
      // ended meanwhile
    }
  }
  return undefined;
}

async function upstreamRef(ref: string): Promise<string> {
  return (await git.run(['--git-dir', join(harness.upstreamDir, 'demo/hello.git'), 'rev-parse', '--verify', '-q', ref], harness.root)).stdout.trim();
}

t.before(async () => {
  harness = await startHarness();
  work = await git.cloneAsAgent(harness.remote('demo/hello'), join(harness.root, 'work', 'clone'));
});
t.teardown(() => harness.close());

t.test('the file upstream is served through the launcher; a launcher that was killed is replaced', async (t) => {
  const first = launcherPid();
  t.ok(first !== undefined, 'the gateway started a launcher');
  t.equal((await git.run(['ls-remote', 'origin'], work)).code, 0);
  process.kill(first!, 'SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const again = await git.run(['ls-remote', 'origin'], work);
  t.equal(again.code, 0, `ls-remote after the launcher was killed: ${again.stderr}`);
  t.match(again.stdout, /refs\/heads\/main/);
  const second = launcherPid();
  t.ok(second !== undefined && second !== first, 'a new launcher');
  await git.commitFile(work, 'after-launcher.txt', 'pushed through the new launcher\n', 'after the launcher');
  const push = await git.run(['push', 'origin', 'HEAD:refs/heads/after-launcher'], work);
  t.equal(push.code, 0, push.stderr);
  t.equal(await upstreamRef('refs/heads/after-launcher'), (await git.ok(['rev-parse', 'HEAD'], work)).trim());
});

t.test('a launcher that dies while the upstream runs a push: the push fails with a reason, nothing lands, the gateway serves on', async (t) => {
  // The upstream takes its time to decide, then refuses: whatever the launcher's end, nothing lands.
  const hook = join(harness.upstreamDir, 'demo/hello.git', 'hooks', 'pre-receive');
  const hookStarted = join(harness.root, 'pre-receive-started');
  writeFileSync(hook, `#!/bin/sh\necho $PPID > '${hookStarted}'\nsleep 2\nexit 1\n`);
  chmodSync(hook, 0o755);
  t.teardown(() => writeFileSync(hook, '#!/bin/sh\nexit 0\n'));
  await git.commitFile(work, 'cut.txt', 'pushed while the launcher dies\n', 'cut by the launcher');
  const pushing = git.run(['push', 'origin', 'HEAD:refs/heads/cut'], work);
  // Once the upstream's receive-pack (started by the launcher) runs its hook:
  await until('the upstream runs its pre-receive hook', () => existsSync(hookStarted), { ms: 20_000 });
  const receivePack = Number(readFileSync(hookStarted, 'utf8').trim()); // the hook's parent
  const launcher = launcherPid()!;
  t.equal(parentOf(receivePack), launcher, 'the upstream receive-pack was started by the launcher');
  process.kill(launcher, 'SIGKILL');
  const push = await pushing;
  // No byte of the answer had gone out: git gets a report saying so per ref, not a cut connection
  // (which curl would answer by sending the push again).
  t.not(push.code, 0, 'git reports the push failed');
  t.match(push.stderr, /! \[remote rejected\] HEAD -> cut \(gitgate: upstream failed, outcome unknown \(UPSTREAM_FAILED\)\)/);
  t.match(push.stderr, /the upstream received all of it, but it failed before answering: git git-receive-pack in the upstream repository: the git launcher exited \(SIGKILL\)/);
  t.match(push.stderr, /gitgate cannot tell whether the upstream applied it/);
  t.equal(await upstreamRef('refs/heads/cut'), '', 'nothing landed');
  const forwards = harness.logs().split('\n').filter((l) => l.includes('refs/heads/cut') && l.includes('push allowed; forwarding'));
  t.equal(forwards.length, 1, 'the push was forwarded once: git did not send it again');
  // The audit log has the forward's outcome: failed, with the reason.
  const requestId = /"request_id":"([^"]+)"[^\n]*"msg":"push allowed; forwarding"[^\n]*$/m.exec(harness.logs().split('\n').filter((l) => l.includes('refs/heads/cut')).join('\n'))?.[1];
  t.ok(requestId !== undefined, 'the push was allowed and forwarded');
  // Recorded once the replay pack is built, after git had its answer.
  const outcomeOf = async () => (await requestEvents(harness.gateway.audit.store, requestId!)).find((event) => event.type === 'upstream.result');
  await until('the outcome is recorded', async () => (await outcomeOf()) !== undefined, { ms: 20_000 });
  const result = await outcomeOf();
  t.match(result?.data, { landed: null, nothing_applied: false, error: { code: 'UPSTREAM_FAILED', message: /git launcher exited \(SIGKILL\)/ } }, 'recorded: nothing landed, why, and that the upstream had all of it');

  writeFileSync(hook, '#!/bin/sh\nexit 0\n');
  await git.commitFile(work, 'after-cut.txt', 'pushed after\n', 'after the cut');
  const next = await git.run(['push', 'origin', 'HEAD:refs/heads/after-cut'], work);
  t.equal(next.code, 0, `the next push lands: ${next.stderr}`);
});
