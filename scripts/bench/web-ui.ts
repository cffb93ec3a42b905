// npm run bench:web-ui — how fast the approver's request page is served.
//   The server-rendered request page (/ui/approvals/<id>: facts, commits, files and a line diff of
//   every text file) against the alternative a client-side UI would need: the REST API's JSON of
//   the same request and of its file texts (/api/approvals/<id> and /files), which a browser would
//   still have to diff. For a typical request (10 files of 200 lines) and a large one (300 files of
//   400 lines, about 10 MB of text), p50 and p90 of --runs loads each through a real gateway.
// Prints ratios and the peak RSS of this process.
import { parseArgs } from 'node:util';
import type { ApprovalFileContent } from '../../gateway/approvals/index.js';
import { startHarness, type GatewayHarness } from '../../gateway/e2e/gateway-harness.js';
import { CookieClient } from '../../gateway/web/web-test-fixtures.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

function contents(files: number, lines: number): ApprovalFileContent[] {
  return Array.from({ length: files }, (_, i) => {
    const old = Array.from({ length: lines }, (_, j) => `  const value${j} = compute(${i}, ${j}); // line ${j} of src/module${i}.ts`).join('\n') + '\n';
    const changed = old.split('\n').map((line, j) => (j % 30 === 7 ? `${line} // reviewed` : line)).join('\n');
    return { ref: 'refs/heads/main', path: `src/module${i}.ts`, status: 'modified' as const, old_text: old, new_text: changed };
  });
}

async function request(harness: GatewayHarness, texts: ApprovalFileContent[]): Promise<string> {
  const commit = 'c'.repeat(40);
  const created = await harness.gateway.approvals.service.create({
    repositoryPath: 'demo/hello',
    repository: 'demo/hello',
    upstream: 'local',
    pusher: { subject: 'agent-1', issuer: 'gitgate:static-tokens', groups: ['agents'], kind: 'agent', authentication: 'token' },
    refs: [{ ref: 'refs/heads/main', old: 'a'.repeat(40), new: commit, operation: 'update', fast_forward: true }],
    commits: [{ id: commit, author: { name: 'Agent', email: 'a@example.com', time: '2026-01-01T00:00:00Z' }, committer: { name: 'Agent', email: 'a@example.com', time: '2026-01-01T00:00:00Z' }, message: 'Change\n', parents: ['a'.repeat(40)], signed: false }],
    files: texts.map((f) => ({ ref: f.ref, path: f.path, status: f.status, size: f.new_text!.length, binary: false })),
    findings: [],
    requirements: [{ group: 'production-review', count: 1, reason: 'changes under src/ on main' }],
    policyDecisionId: 'bench',
    policyReasons: [],
    quarantine: undefined,
    fileContents: texts,
    delivery: 'quarantined',
  });
  return created.id;
}

async function timed(load: () => Promise<number>): Promise<{ p50: number; p90: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  await load(); // warm-up
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    bytes = await load();
    times.push(performance.now() - started);
  }
  return { p50: percentile(times, 0.5), p90: percentile(times, 0.9), bytes };
}

const harness = await startHarness();
try {
  const token = harness.gateway.tokens.create('bench-approver', ['production-review'], 'human').token;
  const browser = new CookieClient(harness.gateway.url);
  await browser.signInWithToken(token);
  const api = (path: string) => fetch(`${harness.gateway.url}${path}`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => (await r.arrayBuffer()).byteLength);
  console.log(`web UI request page vs the REST API's JSON of the same request, ${runs} loads each (load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`);
  console.log('request                        served              p50 ms   p90 ms      bytes');
  for (const [name, files, lines] of [['typical: 10 files x 200 lines', 10, 200], ['large: 300 files x 400 lines', 300, 400]] as const) {
    const id = await request(harness, contents(files, lines));
    const page = await timed(async () => (await (await browser.request(`/ui/approvals/${id}`)).arrayBuffer()).byteLength);
    const json = await timed(async () => (await api(`/api/approvals/${id}`)) + (await api(`/api/approvals/${id}/files`)));
    const row = (served: string, r: { p50: number; p90: number; bytes: number }) =>
      console.log(`${name.padEnd(30)} ${served.padEnd(18)} ${r.p50.toFixed(1).padStart(7)}  ${r.p90.toFixed(1).padStart(7)}  ${String(r.bytes).padStart(9)}`);
    row('HTML with diffs', page);
    row('REST JSON (no diff)', json);
    console.log(`${''.padEnd(30)} ratio page/JSON p50: ${(page.p50 / json.p50).toFixed(2)}x`);
  }
} finally {
  await harness.close();
  clearInterval(sampler);
}
console.log(`peak RSS of this process (gateway included): ${(peakRss / 1048576).toFixed(0)} MiB`);
