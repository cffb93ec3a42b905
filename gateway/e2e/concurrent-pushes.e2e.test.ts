// Several agents at once through one gateway, against the real `git http-backend`: pushes that
// each need the mirror fetched again (the upstream moved behind the gateway's back), a clone
// meanwhile, and pushes racing for one branch. The mirror's fetches are serialised per
// repository; each push must still be decided on what it carries and land whole or not at all.
import t, { type Test } from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpBackend, type HttpBackendServer } from '../../testdata/http-backend-server.js';
import { ensureDemoRepository } from '../demo/demo-setup.js';
import { verifyAuditChain, listAuditEvents } from '../audit/index.js';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';

const AGENTS = 6;
const git = new GitClient();
let backend: HttpBackendServer;
let harness: GatewayHarness;
let upstreamGitDir: string;
let remote: string;

t.before(async () => {
  const projectRoot = mkdtempSync(join(tmpdir(), 'gitgate-concurrent-'));
  ensureDemoRepository(projectRoot);
  upstreamGitDir = join(projectRoot, 'demo/hello.git');
  backend = await startHttpBackend(projectRoot);
  harness = await startHarness([{ type: 'http', name: 'backend', scheme: 'http', repositories: [`${backend.host}/demo/*`] }]);
  remote = harness.remote(`${backend.host}/demo/hello`);
});
t.teardown(async () => {
  await harness.close();
  await backend.close();
});

const upstreamRef = async (ref: string) => (await git.run(['--git-dir', upstreamGitDir, 'rev-parse', '--verify', '-q', ref], harness.root)).stdout.trim();

/** `count` clones of the repository through the gateway, made one after the other. */
async function agentClones(name: string, count: number): Promise<string[]> {
  const clones: string[] = [];
  for (let i = 0; i < count; i++) clones.push(await git.cloneAsAgent(remote, join(harness.root, name, `agent-${i}`)));
  return clones;
}

/**
 * Each clone commits on top of the upstream's main and all push to their own branch at once,
 * while a clone runs; every push must land at its commit, its forward recorded once.
 */
async function pushAllAtOnce(t: Test, clones: string[], round: string): Promise<void> {
  const heads: string[] = [];
  for (const [i, clone] of clones.entries()) {
    await git.ok(['fetch', '-q', 'origin'], clone);
    await git.ok(['reset', '-q', '--hard', 'origin/main'], clone);
    heads.push(await git.commitFile(clone, `agents/agent-${i}.txt`, `${round}: work of agent ${i}\n`, `Agent ${i}'s change (${round})`));
  }
  const branch = (i: number) => `refs/heads/${round}/agent-${i}`;
  const [pushes, clone] = await Promise.all([
    Promise.all(clones.map((clone, i) => git.run(['push', 'origin', `HEAD:${branch(i)}`], clone))),
    git.run(['clone', '-q', remote, join(harness.root, round, 'reader')], harness.root),
  ]);
  for (const [i, push] of pushes.entries()) {
    t.equal(push.code, 0, `agent ${i}: ${push.stderr}`);
    t.equal(await upstreamRef(branch(i)), heads[i], `agent ${i}'s branch is its commit`);
  }
  t.equal(clone.code, 0, clone.stderr);
  const forwarded = await listAuditEvents(harness.gateway.audit.store, { type: 'upstream.forward' });
  for (let i = 0; i < AGENTS; i++) {
    t.equal(forwarded.filter((event) => JSON.stringify(event.data['commands']).includes(`${branch(i)}"`)).length, 1, `agent ${i}'s forward is recorded once`);
  }
}

t.test('pushes of several agents at once all land, a clone meanwhile works, while the mirror is made and when it is behind', async (t) => {
  const clones = await agentClones('first', AGENTS);
  // The repository's first pushes: each finds no mirror and asks for it to be made.
  await pushAllAtOnce(t, clones, 'first');
  // main moves on the upstream behind the gateway's back: every push below builds on a commit the
  // mirror does not have yet, so each asks for the mirror to be fetched while the others do too.
  const direct = await git.cloneAsAgent(remote, join(harness.root, 'behind', 'direct'));
  await git.commitFile(direct, 'direct.txt', 'pushed straight to the upstream\n', 'Direct change');
  await git.ok(['push', '-q', upstreamGitDir, 'HEAD:main'], direct);
  await pushAllAtOnce(t, clones, 'behind');
});

t.test('agents racing for one branch: one push lands, the others are refused whole, and the gateway keeps serving', async (t) => {
  const clones = await agentClones('race', AGENTS);
  const heads: string[] = [];
  for (const [i, clone] of clones.entries()) heads.push(await git.commitFile(clone, `race/agent-${i}.txt`, `agent ${i} was here\n`, `Agent ${i} races`));
  const pushes = await Promise.all(clones.map((clone) => git.run(['push', 'origin', 'HEAD:refs/heads/race'], clone)));
  const landed = pushes.flatMap((push, i) => (push.code === 0 ? [i] : []));
  t.equal(landed.length, 1, `exactly one push landed: ${pushes.map((p) => p.code).join(', ')}`);
  const winner = landed[0]!;
  t.equal(await upstreamRef('refs/heads/race'), heads[winner], "the branch is the winner's commit");
  for (const [i, push] of pushes.entries()) {
    if (i === winner) continue;
    // Refused by the upstream (the branch appeared after the gateway decided), or by git itself
    // when the gateway's advertisement already showed it.
    t.match(push.stderr, /! \[(remote )?rejected\] HEAD -> race/, `agent ${i} is told its update was refused`);
  }
  // Each loser fetches, rebases and pushes again, one after the other: all of them land.
  for (const [i, clone] of clones.entries()) {
    if (i === winner) continue;
    await git.ok(['pull', '-q', '--rebase', 'origin', 'race'], clone);
    const again = await git.run(['push', 'origin', 'HEAD:refs/heads/race'], clone);
    t.equal(again.code, 0, `agent ${i} after rebasing: ${again.stderr}`);
  }
  const log = await git.ok(['--git-dir', upstreamGitDir, 'log', '--format=%s', 'race'], harness.root);
  for (let i = 0; i < AGENTS; i++) t.match(log, `Agent ${i} races`, `agent ${i}'s change is on the branch`);
  // Each forward's outcome is recorded after git has its answer: the refused ones as landing nothing.
  const raceResults = async () =>
    (await listAuditEvents(harness.gateway.audit.store, { type: 'upstream.result' })).filter((event) => JSON.stringify(event.data['refs']).includes('refs/heads/race'));
  // A loser that asked for the refs after the winner landed was stopped by git and never forwarded.
  const refusedUpstream = pushes.filter((push) => /! \[remote rejected\] HEAD -> race/.test(push.stderr)).length;
  const forwards = AGENTS + refusedUpstream;
  for (let attempt = 0; attempt < 200 && (await raceResults()).length < forwards; attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
  const results = await raceResults();
  t.equal(results.length, forwards, 'every forward to the branch has its outcome recorded');
  t.equal(results.filter((event) => (event.data['landed'] as string[]).includes('refs/heads/race')).length, AGENTS, 'as landed: the winner and each push after a rebase');
  t.equal(results.filter((event) => (event.data['landed'] as string[]).length === 0).length, refusedUpstream, 'as landing nothing: the pushes the upstream refused');
  await harness.gateway.audit.log.checkpoint();
  const chain = await verifyAuditChain(harness.gateway.audit.store, harness.gateway.audit.publicKey);
  t.same(chain.problems, [], 'the audit chain verifies after the concurrent requests');
});
