// npm run bench:approvals — how fast approved work lands, and what approvals cost every push.
//   1. From the approver's click to the upstream's ref moving (real git, file upstream), median of
//      --runs: a held push forwarded at once; a quarantined push forwarded by gitgate itself; and
//      the alternative of the closest open peer: the agent learns of the approval (long poll) and
//      pushes the same commits again.
//   2. The grant lookup every push makes (is there an approved request for exactly these commits?)
//      with --stored requests in the store: p50/p99 of ApprovalService.grantedFor, cold and warm.
// Prints ratios and the peak RSS of this process.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { ApprovalService } from '../../gateway/approvals/approval-service.js';
import { ApprovalStore } from '../../gateway/approvals/approval-store.js';
import { ApprovalsClient } from '../../gateway/approvals/approvals-client.js';
import { GitClient } from '../../gateway/e2e/git-client.js';
import { startHarness, type GatewayHarness } from '../../gateway/e2e/gateway-harness.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, stored: { type: 'string', default: '1000' } } });
const runs = Number(values.runs);
const stored = Number(values.stored);
const git = new GitClient();
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

interface Setup {
  harness: GatewayHarness;
  work: string;
  approver: ApprovalsClient;
  agent: ApprovalsClient;
  n: number;
}

async function setup(approvals: Record<string, unknown>): Promise<Setup> {
  const harness = await startHarness([], undefined, { approvals });
  const work = join(harness.root, 'clone');
  await git.ok(['clone', '-q', harness.remote('demo/hello'), work], harness.root);
  await git.ok(['config', 'user.name', 'Bench'], work);
  await git.ok(['config', 'user.email', 'bench@example.com'], work);
  mkdirSync(join(work, 'src'), { recursive: true });
  return {
    harness,
    work,
    approver: new ApprovalsClient({ baseUrl: harness.gateway.url, token: harness.gateway.tokens.create('alice', ['production-review'], 'human').token }),
    agent: new ApprovalsClient({ baseUrl: harness.gateway.url, token: harness.token }),
    n: 0,
  };
}

async function commit(s: Setup): Promise<string> {
  writeFileSync(join(s.work, 'src', 'bench.js'), `export const n = ${++s.n};\n`);
  await git.ok(['add', '.'], s.work);
  await git.ok(['commit', '-q', '-m', `bench ${s.n}`], s.work);
  return (await git.ok(['rev-parse', 'HEAD'], s.work)).trim();
}

async function pendingId(s: Setup, head: string): Promise<string> {
  for (;;) {
    const found = (await s.approver.list({ state: 'pending' })).find((r) => r.refs[0]?.new === head);
    if (found !== undefined) return found.id;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function untilLanded(s: Setup, head: string): Promise<void> {
  while ((await git.run(['--git-dir', join(s.harness.upstreamDir, 'demo/hello.git'), 'rev-parse', 'main'], s.harness.root)).stdout.trim() !== head) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Held: the push is open; approval → forwarded → git exits. Time from approve() to the ref moving. */
async function held(s: Setup): Promise<number> {
  const head = await commit(s);
  const pushing = git.run(['push', '-q', 'origin', 'main'], s.work);
  const id = await pendingId(s, head);
  const start = performance.now();
  await s.approver.approve(id, 'bench');
  await untilLanded(s, head);
  const ms = performance.now() - start;
  await pushing;
  return ms;
}

/** Quarantined (hold 0): approval → gitgate forwards the stored push. */
async function quarantined(s: Setup): Promise<number> {
  const head = await commit(s);
  await git.run(['push', '-q', 'origin', 'main'], s.work);
  const id = await pendingId(s, head);
  const start = performance.now();
  await s.approver.approve(id, 'bench');
  await untilLanded(s, head);
  return performance.now() - start;
}

/** The peer's way (auto_forward off): the agent long-polls, then pushes the same commits again. */
async function repush(s: Setup): Promise<number> {
  const head = await commit(s);
  await git.run(['push', '-q', 'origin', 'main'], s.work);
  const id = await pendingId(s, head);
  const waiting = s.agent.wait(id, 60);
  const start = performance.now();
  await s.approver.approve(id, 'bench');
  await waiting;
  const push = await git.run(['push', '-q', 'origin', 'main'], s.work);
  if (push.code !== 0) throw new Error(push.stderr);
  await untilLanded(s, head);
  return performance.now() - start;
}

async function measure(name: string, approvals: Record<string, unknown>, step: (s: Setup) => Promise<number>): Promise<number> {
  const s = await setup(approvals);
  try {
    await step(s); // warm-up
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await step(s));
    const m = median(times);
    console.log(`${name.padEnd(58)} [rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB] median ${m.toFixed(0).padStart(5)} ms  (runs: ${times.map((x) => x.toFixed(0)).join(', ')})`);
    return m;
  } finally {
    await s.harness.close();
  }
}

async function grantLookup(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'gitgate-bench-approvals-'));
  const service = new ApprovalService(new ApprovalStore(root), { holdSeconds: 0, expirySeconds: 86400, progressIntervalSeconds: 5, publicUrl: () => 'http://bench' }, pino({ level: 'silent' }));
  await service.start();
  const agent = { subject: 'agent', issuer: 'bench', groups: [], kind: 'agent' as const, authentication: 'token' as const };
  for (let i = 0; i < stored; i++) {
    const hex = i.toString(16).padStart(40, '0');
    await service.create({
      repositoryPath: 'demo/hello',
      repository: 'demo/hello',
      upstream: 'file:///x',
      pusher: agent,
      refs: [{ ref: 'refs/heads/main', old: `${'0'.repeat(39)}1`, new: hex, operation: 'update', fast_forward: true }],
      commits: [],
      files: [],
      findings: [],
      requirements: [{ group: 'g', count: 1, reason: 'r' }],
      policyDecisionId: 'd',
      policyReasons: [],
      quarantine: Readable.from([Buffer.from('x')]),
      fileContents: [],
      delivery: 'quarantined',
    });
  }
  const fresh = new ApprovalService(new ApprovalStore(root), service.settings, pino({ level: 'silent' }));
  const cold = performance.now();
  await fresh.grantedFor('sha256:none');
  const coldMs = performance.now() - cold;
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    await fresh.grantedFor('sha256:none');
    times.push(performance.now() - start);
  }
  console.log(`grant lookup per push with ${stored} stored requests: cold ${coldMs.toFixed(1)} ms, warm p50 ${percentile(times, 0.5).toFixed(2)} ms, p99 ${percentile(times, 0.99).toFixed(2)} ms`);
  await service.close();
}

const heldMs = await measure('held push: approve -> upstream ref moved', { hold_seconds: 60, progress_interval_seconds: 5 }, held);
const quarantinedMs = await measure('quarantined push: approve -> gitgate forwarded it', { hold_seconds: 0 }, quarantined);
const repushMs = await measure('peer-style: approve -> agent notices and pushes again', { hold_seconds: 0, auto_forward: false }, repush);
console.log(`re-push is ${(repushMs / heldMs).toFixed(1)}x the held push and ${(repushMs / quarantinedMs).toFixed(1)}x gitgate's own forward (and needs the agent to still be there)`);
await grantLookup();
clearInterval(sampler);
console.log(`peak RSS of this process (gateway in-process): ${(peakRss / 1048576).toFixed(0)} MiB`);
