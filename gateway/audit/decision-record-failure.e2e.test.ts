import { join } from 'node:path';
import t, { type Test } from 'tap';
import { GitClient } from '../e2e/git-client.js';
import { startHarness } from '../e2e/gateway-harness.js';
import type { AuditEvent } from './index.js';

// An allowed push's decision is appended without waiting for its own sync: the forward intent
// after it waits for both. This is the case where the decision's write fails.
const git = new GitClient();

/** A gateway whose audit store fails to write any push decision; `written` lists what it wrote. */
async function gatewayLosingPushDecisions(t: Test) {
  const harness = await startHarness();
  t.teardown(() => harness.close());
  const work = await git.cloneAsAgent(harness.remote('demo/hello'), join(harness.root, 'work', 'clone'));
  const upstreamGitDir = join(harness.upstreamDir, 'demo/hello.git');
  const store = harness.gateway.audit.store;
  const append = store.append.bind(store);
  const written: string[] = [];
  store.append = async (events: readonly AuditEvent[]) => {
    if (events.some((e) => e.type === 'policy.decision' && e.data['kind'] === 'push')) throw new Error('disk full (simulated)');
    await append(events);
    written.push(...events.map((e) => e.type));
  };
  return { harness, work, upstreamGitDir, written };
}

t.test('an allowed push whose decision cannot be stored is not forwarded', async (t) => {
  const { harness, work, upstreamGitDir, written } = await gatewayLosingPushDecisions(t);
  const before = (await git.ok(['--git-dir', upstreamGitDir, 'rev-parse', 'refs/heads/main'], harness.root)).trim();

  await git.commitFile(work, 'docs/lost-decision.md', 'x\n', 'A push whose decision is not stored');
  const push = await git.run(['push', 'origin', 'HEAD:refs/heads/feature/lost-decision'], work);
  t.not(push.code, 0, 'git reports the failure');
  t.match(push.stderr, /remote: gitgate: this push cannot be recorded in the audit log \(AUDIT_STORE_FAILED\), so it was refused; nothing was applied/);
  t.match(push.stderr, '! [remote rejected] HEAD -> feature/lost-decision (gitgate: not recorded (AUDIT_STORE_FAILED))');
  const branches = await git.ok(['--git-dir', upstreamGitDir, 'branch', '--list', 'feature/*'], harness.root);
  t.equal(branches.trim(), '', 'the branch did not reach the upstream');
  t.equal((await git.ok(['--git-dir', upstreamGitDir, 'rev-parse', 'refs/heads/main'], harness.root)).trim(), before);
  t.notOk(written.includes('upstream.forward'), 'no forward intent was recorded');
});

t.test('a denied push whose decision cannot be stored still tells git why it was denied', async (t) => {
  const { harness, work, upstreamGitDir } = await gatewayLosingPushDecisions(t);
  const push = await git.run(['push', 'origin', ':refs/heads/main'], work);
  t.not(push.code, 0);
  t.match(push.stderr, '! [remote rejected] main (gitgate: PROTECTED_REF_DELETE)');
  t.ok((await git.ok(['--git-dir', upstreamGitDir, 'rev-parse', 'refs/heads/main'], harness.root)).trim(), 'main is still there');
  t.match(harness.logs(), /push refused: the audit log failed/);
});
