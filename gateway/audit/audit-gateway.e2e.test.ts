import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { GitClient } from '../e2e/git-client.js';
import { startHarness, type GatewayHarness } from '../e2e/gateway-harness.js';
import { fakeGithubToken } from '../secrets/test-helpers.js';
import { listAuditEvents, materializePush, requestEvents, summarizeRequests, verifyAuditChain, type AuditEvent } from './index.js';

const git = new GitClient();
let harness: GatewayHarness;
let work: string;

t.before(async () => {
  harness = await startHarness();
  work = await git.cloneAsAgent(harness.remote('demo/hello'), join(harness.root, 'work', 'clone'));
});
t.teardown(() => harness.close());

const commitFile = (path: string, content: string, message: string): Promise<string> => git.commitFile(work, path, content, message);

const types = (events: AuditEvent[]) => events.map((e) => e.type);

async function runGitText(args: string[], inputFile: string): Promise<string> {
  const { runGit } = await import('./run-git.js');
  return (await runGit(args, { inputFile })).toString();
}

/** The outcome of a push is recorded after git has its answer (with the replay pack): wait for it. */
async function eventsOnceDone(requestId: string): Promise<AuditEvent[]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const events = await requestEvents(harness.gateway.audit.store, requestId);
    if (events.some((e) => e.type === 'upstream.result')) return events;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no upstream.result for ${requestId}`);
}

t.test('a clone is recorded: request, authentication, fetch decision, what was served', async (t) => {
  const { store } = harness.gateway.audit;
  const fetches = await listAuditEvents(store, { type: 'fetch.served' });
  t.ok(fetches.length >= 2, 'advertisement and upload-pack');
  const upload = fetches.find((e) => e.data['phase'] === 'upload')!;
  t.ok((upload.data['bytes'] as number) > 0);
  t.equal(upload.actor?.subject, 'agent-1');
  t.equal(upload.repository, 'demo/hello');
  const events = await requestEvents(store, upload.request_id!);
  t.same(types(events), ['request.received', 'authentication', 'policy.decision', 'fetch.served']);
  const decision = events[2]!;
  t.equal(decision.data['path'], 'gitgate/fetch', 'OPA decision-log shape');
  t.match(decision.data, { decision_id: String, bundles: { gitgate: { revision: String } }, input: { kind: 'fetch' }, result: { allow: true }, metrics: Object });
});

t.test('a push with a modified file and deltas: intent, outcome, materialize, replay pack', async (t) => {
  // Enough shared content that git sends the new version as a delta against the old (thin pack).
  const lines = Array.from({ length: 400 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog`).join('\n');
  await commitFile('docs/long.md', `${lines}\n`, 'Add a long document');
  t.equal((await git.run(['push', '-q', 'origin', 'main'], work)).code, 0);
  const second = await commitFile('docs/long.md', `${lines}\nline 400: one more\n`, 'Extend the long document');
  const third = await commitFile('docs/app.txt', 'hello\n', 'Add app');
  const push = await git.run(['push', 'origin', 'main'], work);
  t.equal(push.code, 0, push.stderr);
  const { store, packs } = harness.gateway.audit;
  const intents = await listAuditEvents(store, { type: 'upstream.forward' });
  const intent = intents.at(-1)!;
  t.match(intent.data, { commands: [{ ref: 'refs/heads/main', new: third, operation: 'update' }], pack: { sha256: /^[0-9a-f]{64}$/, objects: Number } });
  const events = await eventsOnceDone(intent.request_id!);
  t.same(types(events), ['request.received', 'authentication', 'policy.decision', 'upstream.forward', 'upstream.result']);
  const result = events.at(-1)!;
  t.match(result.data, { status: 200, unpack: 'ok', refs: [{ ref: 'refs/heads/main', ok: true }], landed: ['refs/heads/main'], replay_pack: { sha256: /^[0-9a-f]{64}$/ } });
  const pushedPack = (intent.data['pack'] as { sha256: string }).sha256;
  t.ok(packs.has(pushedPack), 'the pushed pack is kept by content hash');
  const { createHash } = await import('node:crypto');
  t.equal(createHash('sha256').update(readFileSync(packs.packPath(pushedPack))).digest('hex'), pushedPack);

  // Its idx is kept beside it (the thin bases resolved from the upstream's objects).
  const idxListing = await runGitText(['show-index'], packs.idxPath(pushedPack));
  t.ok(idxListing.includes(third) && idxListing.includes(second), 'the idx lists the pushed commits');
  // The pack git sent is thin: git cannot index it alone (its deltas refer to upstream objects).
  const lone = join(harness.root, 'lone.git');
  await git.ok(['init', '-q', '--bare', lone], harness.root);
  const { runGit } = await import('./run-git.js');
  await t.rejects(runGit(['--git-dir', lone, 'index-pack', '--stdin'], { inputFile: packs.packPath(pushedPack) }), /unresolved delta/, 'the pushed pack is thin');

  const target = join(harness.root, 'materialized');
  const rebuilt = await materializePush(events, packs, target);
  t.same(rebuilt.refs, [{ ref: 'refs/heads/main', id: third }]);
  const log = await git.ok(['--git-dir', target, 'log', '--format=%H %s', 'refs/heads/main'], harness.root);
  t.match(log, new RegExp(`^${third} Add app\\n${second} Extend the long document\\n`));
  for (const commit of [third, second]) {
    const shown = await git.ok(['--git-dir', target, 'show', '--format=%H%n%an%n%s', commit], harness.root);
    const original = await git.ok(['show', '--format=%H%n%an%n%s', commit], work);
    t.equal(shown, original, `git show ${commit.slice(0, 8)} is the same as in the pusher's clone`);
  }
  t.ok(rebuilt.shallow.length > 0, 'history before the push is cut cleanly');
  t.equal((await git.ok(['--git-dir', target, 'cat-file', '-p', `${third}:docs/app.txt`], harness.root)), 'hello\n', 'pushed content readable');
});

t.test('a denied push records the decision with masked input and no forward', async (t) => {
  const token = fakeGithubToken(42);
  await commitFile('config/settings.env', `GITHUB_TOKEN=${token}\n`, 'Add settings');
  const push = await git.run(['push', 'origin', 'main'], work);
  t.not(push.code, 0);
  await git.ok(['reset', '-q', '--hard', 'HEAD~1'], work);
  const { store } = harness.gateway.audit;
  const denied = await listAuditEvents(store, { decision: 'deny' });
  const decision = denied.find((e) => e.type === 'policy.decision')!;
  t.ok(decision, 'found by the decision filter');
  t.equal((await requestEvents(store, decision.request_id!)).some((e) => e.type === 'upstream.forward'), false, 'nothing forwarded');
  const summaries = await summarizeRequests(store, { decision: 'deny' });
  t.equal(summaries.at(-1)!.kind, 'push');
  const directory = harness.config.audit.directory;
  const text = readdirSync(join(directory, 'segments')).map((s) => readFileSync(join(directory, 'segments', s), 'utf8')).join('');
  t.notOk(text.includes(token), 'the secret is not in the audit log');
  t.notOk(text.includes(harness.token), 'the agent token is not in the audit log');
});

t.test('a refused credential is recorded as a failed authentication', async (t) => {
  const result = await git.run(['ls-remote', harness.remote('demo/hello', 'not-a-token-at-all')], harness.root);
  t.not(result.code, 0);
  await harness.gateway.audit.log.flush();
  const auth = await listAuditEvents(harness.gateway.audit.store, { type: 'authentication' });
  const refused = auth.filter((e) => e.data['ok'] === false);
  t.ok(refused.length >= 1, 'git asks anonymously first, then with the bad token: both refused');
  t.equal(refused[0]!.actor, null);
  t.equal(refused[0]!.data['reason'] !== undefined, true);
});

t.test('the chain of a working gateway verifies', async (t) => {
  await harness.gateway.audit.log.checkpoint();
  const result = await verifyAuditChain(harness.gateway.audit.store, harness.gateway.audit.publicKey);
  t.same(result.problems, []);
  t.ok(result.events > 15);
  t.equal(result.unsignedTail, 0);
});

t.test('fail closed: when the audit log cannot record, fetches and pushes are refused with a reason', async (t) => {
  await harness.gateway.audit.log.close();
  const fetch = await git.run(['fetch', 'origin'], work);
  t.not(fetch.code, 0);
  t.match(fetch.stderr, /cannot be recorded in the audit log \(AUDIT_LOG_CLOSED\), so it was refused; nothing was applied/);
  const before = (await git.ok(['--git-dir', join(harness.upstreamDir, 'demo/hello.git'), 'rev-parse', 'refs/heads/main'], harness.root)).trim();
  await commitFile('docs/after-close.md', 'x\n', 'After the audit log closed');
  const push = await git.run(['push', 'origin', 'main'], work);
  t.not(push.code, 0);
  t.equal((await git.ok(['--git-dir', join(harness.upstreamDir, 'demo/hello.git'), 'rev-parse', 'refs/heads/main'], harness.root)).trim(), before, 'nothing reached the upstream');
});
