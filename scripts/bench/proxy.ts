// npm run bench:proxy — the cost of going through gitgate, against the same upstream: the real
// `git http-backend` (testdata/http-backend-server.ts). Directly vs through the gateway, which runs
// as `gitgate serve` in a process of its own (its RSS is measured alone), with its mirror of the
// upstream, the default policies and secret rules:
//   1. clone of a generated repository (median of --runs, after one warm-up clone each way);
//   2. a push of 1 new commit to a new branch (median of --runs; the gateway's mirror is warm);
//   3. a push of 2,000 new commits to a new branch (median of --large-runs, after one warm-up push
//      each way, and --gateway-warmups pushes of 2,000 commits through the gateway to another
//      repository);
//   4. a push of --bulk-mb MB (default 500) of new files in a few commits, generated once from a
//      seed and cached under .cache/bench/ (once each): wall time and the gateway's peak RSS.
// Targets (issue 4): clone within 1.1x, small push at most +50 ms, 2,000-commit push within 1.3x,
// gateway RSS at most 250 MB during the 500 MB push. --skip-bulk leaves out 4.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startChildGateway } from '../../gateway/e2e/child-gateway.js';
import { gitInspectionFloor } from './git-inspection-floor.js';
import { metricSample } from '../../gateway/metrics/metrics-test-helpers.js';
import { writeBulkHistory } from '../../testdata/bulk-history.js';
import { startHttpBackend } from '../../testdata/http-backend-server.js';
import { hermeticGitEnv } from '../../testdata/git-cli.js';
import { createSeededRepo } from '../../testdata/seeded-repo.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'large-runs': { type: 'string', default: '3' },
    commits: { type: 'string', default: '300' },
    'bulk-mb': { type: 'string', default: '500' },
    'skip-bulk': { type: 'boolean', default: false },
    'gateway-warmups': { type: 'string', default: '8' },
  },
});
const runs = Number(values.runs);
const largeRuns = Number(values['large-runs']);
const bulkBytes = Number(values['bulk-mb']) * 1000 * 1000;
const env = hermeticGitEnv({ GIT_TERMINAL_PROMPT: '0' });

function git(args: string[], cwd: string, input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    if (input !== undefined) child.stdin!.end(input);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args.join(' ')}: ${stderr}`))));
  });
}

async function timed(run: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The gateway's git launcher (a child process running git-launcher-process.js), if it has one. */
function launcherPidOf(gatewayPid: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'latin1').split(') ')[1]!.split(' ')[1]);
      if (parent === gatewayPid && readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes('git-launcher-process')) return Number(entry);
    } catch {
      // a process that ended meanwhile
    }
  }
  return undefined;
}

/** RSS, the part of it that is the process's own (anonymous), and the high-water mark, in bytes. */
function memoryOf(pid: number): { rss: number; own: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: field('VmRSS'), own: field('RssAnon'), peak: field('VmHWM') };
}

/** CPU time (user + system, clock ticks) of a process so far. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Waits until `ticks` stops growing over `intervalMs` (at most `maxMs`). */
async function untilNoCpu(ticks: () => number, intervalMs: number, maxMs: number): Promise<void> {
  const until = performance.now() + maxMs;
  let last = ticks();
  while (performance.now() < until) {
    await new Promise((r) => setTimeout(r, intervalMs));
    const now = ticks();
    if (now === last) return;
    last = now;
  }
}

/**
 * Waits until the process has used no CPU for a second (at most `maxMs`): work a push leaves
 * behind after git has its answer (the audit log indexing the kept pack) belongs to its cost.
 */
const untilIdle = (pid: number, maxMs = 120_000) => untilNoCpu(() => cpuTicks(pid), 1000, maxMs);

/** CPU ticks of the process and all its descendants (git children included). */
function treeCpuTicks(pid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, 'latin1').split(') ')[1]!.split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // ended meanwhile
    }
  }
  let ticks = 0;
  const visit = (id: number) => {
    try {
      ticks += cpuTicks(id);
    } catch {
      return;
    }
    for (const child of children.get(id) ?? []) visit(child);
  };
  visit(pid);
  return ticks;
}

/**
 * Waits until the gateway and its children have used no CPU for 300 ms: a push leaves work behind
 * (the audit log's replay pack runs git), which must not land in the next measurement.
 */
const untilTreeIdle = (pid: number, maxMs = 30_000) => untilNoCpu(() => treeCpuTicks(pid), 300, maxMs);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

/** What the gateway's own /metrics says its memory is made of (loopback needs no token). */
async function memoryBreakdown(gatewayUrl: string): Promise<string> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const heapUsed = metricSample(text, 'nodejs_heap_size_used_bytes');
  const heapTotal = metricSample(text, 'nodejs_heap_size_total_bytes');
  const external = metricSample(text, 'nodejs_external_memory_bytes');
  return `V8 heap ${mb(heapUsed)} MB used of ${mb(heapTotal)} MB, external ${mb(external)} MB (main thread)`;
}

/** A fast-import stream of `count` commits on `branch`, each editing one small file. */
function commitsStream(branch: string, count: number, label: string): string {
  let out = '';
  for (let i = 1; i <= count; i++) {
    const content = `${label} change ${i}\n`;
    out += `commit refs/heads/${branch}\ncommitter Bench <bench@example.com> ${1700000000 + i} +0000\ndata ${`${label} ${i}`.length}\n${label} ${i}\n`;
    if (i === 1) out += `from refs/heads/main^0\n`;
    out += `M 100644 inline bench/${label}-${i % 50}.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`;
  }
  return out;
}

/** A bare repository with a small `main` and a branch `bulk` holding `bytes` of new files; made once. */
async function bulkClientRepo(bytes: number): Promise<string> {
  const cached = join(projectRoot, '.cache', 'bench', `proxy-bulk-seed500-${mb(bytes)}MB.git`);
  if (existsSync(cached)) return cached; // renamed into place only once complete
  mkdirSync(dirname(cached), { recursive: true });
  const building = `${cached}.tmp-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  console.log(`generating the ${mb(bytes)} MB push once (cached in ${cached}) ...`);
  await createSeededRepo(building, { seed: 500, commits: 20, initialFiles: 30, filesEditedPerCommit: 3, fileLines: [20, 100], linesChangedPerEdit: [1, 5] });
  const summary = await writeBulkHistory(building, { seed: 500, totalBytes: bytes, branch: 'bulk', from: 'refs/heads/main' });
  console.log(`  ${summary.commits} commits, ${summary.files} files, ${mb(summary.bytes)} MB of content`);
  renameSync(building, cached);
  return cached;
}

/**
 * The gateway's own timings of the pushes to refs matching `ref` (its log's `timings_ms`, joined
 * by request id): medians per stage.
 */
function gatewayStages(logs: string, ref: RegExp): Record<string, number> {
  const byRequest = new Map<string, { refs?: string[]; timings: Record<string, number> }>();
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { request_id?: string; refs?: string[]; timings_ms?: Record<string, number> };
    if (entry.request_id === undefined || entry.timings_ms === undefined) continue;
    const request = byRequest.get(entry.request_id) ?? { timings: {} };
    if (entry.refs !== undefined) request.refs = entry.refs;
    Object.assign(request.timings, entry.timings_ms);
    byRequest.set(entry.request_id, request);
  }
  const stages: Record<string, number[]> = {};
  for (const { refs, timings } of byRequest.values()) {
    if (refs === undefined || !refs.some((r) => ref.test(r))) continue;
    for (const [stage, ms] of Object.entries(timings)) (stages[stage] ??= []).push(ms);
  }
  return Object.fromEntries(Object.entries(stages).map(([stage, values]) => [stage, median(values)]));
}

const stagesText = (stages: Record<string, number>) => Object.entries(stages).map(([stage, ms]) => `${stage} ${ms.toFixed(1)}`).join(', ');

const root = mkdtempSync(join(tmpdir(), 'gitgate-bench-proxy-'));
try {
  const bulkClient = values['skip-bulk'] ? undefined : await bulkClientRepo(bulkBytes);
  console.log(`generating the repository (${values.commits} commits)...`);
  const upstreamRoot = join(root, 'upstream');
  await createSeededRepo(join(upstreamRoot, 'bench', 'repo.git'), {
    seed: 7, commits: Number(values.commits), initialFiles: 300, filesEditedPerCommit: 4, fileLines: [20, 200], linesChangedPerEdit: [1, 6], mergeEvery: 25,
  });
  const backend = await startHttpBackend(upstreamRoot);
  const gateway = await startChildGateway({
    cli: [process.execPath, join(projectRoot, 'dist', 'gateway', 'cli.js')],
    root,
    upstreams: [{ type: 'http', name: 'bench', scheme: 'http', repositories: [`${backend.host}/bench/*`] }],
  });
  const wholeRun = gateway.measurePeak();
  const idleRss = gateway.rss();
  const direct = (name: string) => `${backend.origin}/bench/${name}.git`;
  const through = (name: string) => gateway.remote(`${backend.host}/bench/${name}`);
  const work = join(root, 'work');
  mkdirSync(work);

  const clone = { direct: [] as number[], gateway: [] as number[] };
  // Round 0 is a warm-up each way, not counted: the gateway's first requests run before the JIT
  // has compiled its request path (in one series of twenty, the first clone through it took 166 ms
  // and the next nineteen 127-145 ms), as a gateway that has served for a while has not.
  for (let i = 0; i <= runs; i++) {
    const directMs = await timed(() => git(['clone', '-q', '--bare', direct('repo'), `d${i}.git`], work));
    const gatewayMs = await timed(() => git(['clone', '-q', '--bare', through('repo'), `g${i}.git`], work));
    if (i === 0) continue;
    clone.direct.push(directMs);
    clone.gateway.push(gatewayMs);
  }
  await git(['clone', '-q', direct('repo'), 'client'], work);
  const client = join(work, 'client');
  await git(['push', '-q', through('repo'), 'HEAD:refs/heads/warm-up'], client); // creates the gateway's mirror

  const small = { direct: [] as number[], gateway: [] as number[] };
  for (let i = 0; i < runs; i++) {
    for (const [kind, url] of [['direct', direct('repo')], ['gateway', through('repo')]] as const) {
      await git(['checkout', '-q', '-B', `small-${kind}-${i}`, 'origin/main'], client);
      writeFileSync(join(client, `small-${kind}-${i}.txt`), `${kind} ${i}\n`);
      await git(['add', '.'], client);
      await git(['commit', '-q', '-m', `small ${kind} ${i}`], client);
      small[kind].push(await timed(() => git(['push', '-q', url, `HEAD:refs/heads/small-${kind}-${i}`], client)));
      await untilTreeIdle(gateway.pid);
    }
  }
  const commits = 2000;
  // A gateway that has served for a while has its decoder and inspection compiled by the JIT for
  // pushes of this size; in process, V8 needs about ten such pushes to get there (the first takes
  // twice as long as the tenth). They go to a repository of their own, so the measured one grows
  // alike for both paths (the direct push slows as the upstream's repository grows).
  await git(['clone', '-q', '--bare', '--no-local', join(upstreamRoot, 'bench', 'repo.git'), join(upstreamRoot, 'bench', 'warm-up.git')], root);
  for (let i = 0; i < Number(values['gateway-warmups']); i++) {
    await git(['fast-import', '--quiet'], client, commitsStream(`warm-up-${i}`, commits, `warm${i}`));
    await git(['push', '-q', through('warm-up'), `warm-up-${i}:refs/heads/warm-up-${i}`], client);
    await untilTreeIdle(gateway.pid);
  }
  const large = { direct: [] as number[], gateway: [] as number[] };
  // Round 0 is a warm-up, not counted: a long-running gateway has its code compiled by the JIT
  // for pushes of this size (the upstream gets the same warm-up).
  for (let i = 0; i <= largeRuns; i++) {
    for (const [kind, url] of [['direct', direct('repo')], ['gateway', through('repo')]] as const) {
      await git(['fast-import', '--quiet'], client, commitsStream(`large-${kind}-${i}`, commits, `${kind}${i}`));
      const ms = await timed(() => git(['push', '-q', url, `large-${kind}-${i}:refs/heads/large-${kind}-${i}`], client));
      if (i > 0) large[kind].push(ms);
      await untilTreeIdle(gateway.pid);
    }
  }

  const largeStages = gatewayStages(gateway.logs(), /^refs\/heads\/large-gateway-[1-9]/);
  // git's own index and diff of an equal push, never pushed (see git-inspection-floor.ts).
  await git(['fast-import', '--quiet'], client, commitsStream('floor', commits, 'floor'));
  const floor = gitInspectionFloor({ client, branch: 'refs/heads/floor', base: 'refs/remotes/origin/main', upstreamGitDir: join(upstreamRoot, 'bench', 'repo.git'), scratch: join(root, 'floor'), env, runs: 5 });

  let bulk: { direct: number; gateway: number; before: number; beforeMemory: string; peak: number } | undefined;
  if (bulkClient !== undefined) {
    // Two fresh upstream repositories holding only `main`, so each push sends everything.
    for (const name of ['bulk-direct', 'bulk-gateway']) {
      await git(['clone', '-q', '--bare', '--no-local', '--single-branch', '--branch', 'main', bulkClient, join(upstreamRoot, 'bench', `${name}.git`)], root);
    }
    await git(['--git-dir', bulkClient, 'push', '-q', through('bulk-gateway'), 'refs/heads/main:refs/heads/warm-up'], root); // its mirror
    const directMs = await timed(() => git(['--git-dir', bulkClient, 'push', '-q', direct('bulk-direct'), 'refs/heads/bulk:refs/heads/bulk'], root));
    const before = gateway.rss();
    const beforeMemory = await memoryBreakdown(gateway.url);
    const peak = gateway.measurePeak();
    const gatewayMs = await timed(() => git(['--git-dir', bulkClient, 'push', '-q', through('bulk-gateway'), 'refs/heads/bulk:refs/heads/bulk'], root));
    await untilIdle(gateway.pid);
    bulk = { direct: directMs, gateway: gatewayMs, before, beforeMemory, peak: peak.stop() };
  }
  const peakWholeRun = wholeRun.stop();

  const row = (name: string, d: number, g: number, target: string) =>
    console.log(`${name.padEnd(24)} direct ${d.toFixed(0).padStart(6)} ms   gitgate ${g.toFixed(0).padStart(6)} ms   ${(g / d).toFixed(2)}x  +${(g - d).toFixed(0)} ms   target ${target}`);
  console.log(`\nupstream: git http-backend; ${runs} runs (medians; ${largeRuns} for the 2,000-commit push); ${values.commits}-commit repository; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  row('clone', median(clone.direct), median(clone.gateway), '<= 1.10x');
  row('push, 1 commit', median(small.direct), median(small.gateway), '<= +50 ms');
  row(`push, ${commits} commits`, median(large.direct), median(large.gateway), '<= 1.30x');
  console.log(`  where the gateway's ${commits}-commit push goes (medians, ms): ${stagesText(largeStages)}`);
  const floorMs = floor.indexPackMs + floor.diffTreeMs;
  const budgetMs = median(large.direct) * 0.3;
  console.log(
    `  git's own tools on an equal push (${(floor.packBytes / 1e6).toFixed(2)} MB pack; medians of 5, ms): index-pack --threads=1 ${floor.indexPackMs.toFixed(1)}, diff-tree -r -p of its commits ${floor.diffTreeMs.toFixed(1)};` +
      ` together ${floorMs.toFixed(1)}, against the ${budgetMs.toFixed(1)} ms that 1.30x of the direct push leaves for everything the gateway does before forwarding`,
  );
  if (bulk !== undefined) row(`push, ${mb(bulkBytes)} MB`, bulk.direct, bulk.gateway, 'none (RSS below)');
  if (bulk !== undefined) console.log(`  where the gateway's ${mb(bulkBytes)} MB push goes (ms): ${stagesText(gatewayStages(gateway.logs(), /^refs\/heads\/bulk$/))}`);
  console.log(`\ngateway process (gitgate serve): RSS ${mb(idleRss)} MB idle after start; peak ${mb(peakWholeRun)} MB over the whole run`);
  if (bulk !== undefined) console.log(`during the ${mb(bulkBytes)} MB push and the work it leaves (until the gateway idles): RSS ${mb(bulk.before)} MB before (${bulk.beforeMemory}), peak ${mb(bulk.peak)} MB (target <= 250 MB)`);
  // The process that starts git for the gateway (gateway/git/git-launcher.ts) is memory it uses too.
  const launcherPid = launcherPidOf(gateway.pid);
  if (launcherPid !== undefined) {
    const launcher = memoryOf(launcherPid);
    console.log(`git launcher process beside it: RSS ${mb(launcher.rss)} MB at the end (${mb(launcher.own)} MB its own, the rest node's code shared with the gateway), peak ${mb(launcher.peak)} MB`);
  }
  await gateway.close();
  await backend.close();
} finally {
  rmSync(root, { recursive: true, force: true });
}
