import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { capturedIO } from '../cli/captured-io.js';
import { allCommands } from '../cli/commands.js';
import { runCli } from '../cli/run.js';
import { GitClient } from './git-client.js';
import { startHarness } from './gateway-harness.js';

// `gitgate approvals ...` against a running gateway, with a push by the real git quarantined and
// then delivered by gitgate; `approvals wait` blocks until the decision and the forward.
const git = new GitClient();

t.test('list, show, wait, approve and deny from the command line', async (t) => {
  const harness = await startHarness([], undefined, { approvals: { hold_seconds: 0 } });
  t.teardown(() => harness.close());
  process.env['GITGATE_TEST_APPROVER_TOKEN'] = harness.gateway.tokens.create('alice', ['production-review'], 'human').token;
  process.env['GITGATE_TEST_AGENT_TOKEN'] = harness.token;
  t.teardown(() => {
    delete process.env['GITGATE_TEST_APPROVER_TOKEN'];
    delete process.env['GITGATE_TEST_AGENT_TOKEN'];
  });
  const cli = async (...argv: string[]) => {
    const io = capturedIO();
    const code = await runCli([...argv, '--url', harness.gateway.url], allCommands, io);
    return { code, out: io.out, err: io.err };
  };
  const work = join(harness.root, 'clone');
  await git.ok(['clone', '-q', harness.remote('demo/hello'), work], harness.root);
  mkdirSync(join(work, 'src'), { recursive: true });
  writeFileSync(join(work, 'src', 'cli.js'), 'from the cli test\n');
  await git.ok(['add', '.'], work);
  await git.ok(['-c', 'user.name=Agent', '-c', 'user.email=agent@example.com', 'commit', '-q', '-m', 'CLI change'], work);
  const head = (await git.ok(['rev-parse', 'HEAD'], work)).trim();
  const push = await git.run(['push', 'origin', 'main'], work);
  t.not(push.code, 0);
  const id = /quarantined as (apr_[a-z2-7]{20})/.exec(push.stderr)![1]!;

  const list = await cli('approvals', 'list', '--token-env', 'GITGATE_TEST_APPROVER_TOKEN');
  t.equal(list.code, 0, list.err);
  t.match(list.out, new RegExp(`^${id}  pending\\s+demo/hello  main ${head.slice(0, 12)}  by agent-1  needs 0/1 production-review  \\d+s ago$`, 'm'));
  const show = await cli('approvals', 'show', id, '--token-env', 'GITGATE_TEST_APPROVER_TOKEN');
  t.match(show.out, /PENDING \(push quarantined\)/);
  t.match(show.out, /file added\s+src\/cli\.js/);
  t.match(show.out, /requested\s+agent-1: needs approval by 1 of production-review/);

  // The agent waits (with its own token) while alice approves.
  const waiting = cli('approvals', 'wait', id, '--token-env', 'GITGATE_TEST_AGENT_TOKEN', '--timeout', '60');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const approve = await cli('approvals', 'approve', id, '--reason', 'ok from the cli', '--token-env', 'GITGATE_TEST_APPROVER_TOKEN');
  t.equal(approve.code, 0, approve.err);
  t.match(approve.out, new RegExp(`${id} is now approved`));
  const waited = await waiting;
  t.equal(waited.code, 0, waited.err);
  t.match(waited.err, new RegExp(`${id} approved by alice\\. gitgate pushed it upstream \\(ok refs/heads/main\\); run git fetch\\.`));
  t.equal((await git.ok(['--git-dir', join(harness.upstreamDir, 'demo/hello.git'), 'rev-parse', 'main'], harness.root)).trim(), head);

  // Refusals: no reason for a deny; unknown ids; no token.
  const noReason = await cli('approvals', 'deny', id, '--token-env', 'GITGATE_TEST_APPROVER_TOKEN');
  t.equal(noReason.code, 2);
  t.match(noReason.err, /--reason is required/);
  const unknown = await cli('approvals', 'show', 'apr_aaaaaaaaaaaaaaaaaaaa', '--token-env', 'GITGATE_TEST_APPROVER_TOKEN');
  t.equal(unknown.code, 1);
  t.match(unknown.err, /there is no approval request apr_aaaaaaaaaaaaaaaaaaaa \(APPROVAL_NOT_FOUND\)/);
  const self = await cli('approvals', 'approve', id, '--token-env', 'GITGATE_TEST_AGENT_TOKEN');
  t.equal(self.code, 1);
  t.match(self.err, /APPROVAL_/);
  const waitDone = await cli('approvals', 'wait', id, '--token-env', 'GITGATE_TEST_APPROVER_TOKEN', '--json');
  t.equal(waitDone.code, 0);
  t.equal(JSON.parse(waitDone.out).state, 'used');
});
