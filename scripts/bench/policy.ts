// npm run bench:policy — a typical push (10 ref updates, 200 changed files, 5 secret findings)
// through the default policy library (policies/): decisions per second and p50/p99 latency of
//   1. PolicyEngine.evaluate, as the gateway calls it (schema validation, worker round trip, WASM,
//      decision normalization and record), one at a time and with several in flight;
//   2. the WASM evaluation alone on the calling thread (what the worker spends);
//      both load the bundle as the gateway does: gitgate/prepare runs once at load, so the glob
//      sets of data.gitgate.config are compiled before the first decision, not in each one;
//   3. one `opa eval` process per decision, the obvious alternative, for reference.
// Options: --decisions N (default 5000), --opa-runs N (default 30), --workers N (default 2).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildBundle } from '../../rego/bundle-builder.js';
import { readBundleFile } from '../../rego/bundle-reader.js';
import { locateOpa } from '../../rego/opa-binary.js';
import { runOpaOrThrow } from '../../rego/opa-cli.js';
import { PolicyEngine } from '../../rego/policy-engine.js';
import { WasmPolicy } from '../../rego/wasm-policy.js';
import { typicalPushInput } from './typical-push-input.js';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..', '..', '..');
const policiesDir = join(projectRoot, 'policies');

const { values } = parseArgs({
  options: {
    decisions: { type: 'string', default: '5000' },
    'opa-runs': { type: 'string', default: '30' },
    workers: { type: 'string', default: '2' },
  },
});
const decisions = Math.max(100, Number(values.decisions));
const opaRuns = Math.max(1, Number(values['opa-runs']));
const workers = Math.max(1, Number(values.workers));

interface Summary {
  label: string;
  count: number;
  perSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

function summarize(label: string, latenciesMs: number[], wallMs: number): Summary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { label, count: sorted.length, perSecond: (sorted.length / wallMs) * 1000, p50Ms: at(0.5), p90Ms: at(0.9), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1] as number };
}

function print(rows: Summary[]): void {
  const header = ['', 'decisions', 'decisions/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'];
  const lines = rows.map((r) => [
    r.label, String(r.count), r.perSecond.toFixed(0), r.p50Ms.toFixed(3), r.p90Ms.toFixed(3), r.p99Ms.toFixed(3), r.maxMs.toFixed(3),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(format(header));
  for (const line of lines) console.log(format(line));
}

const scratch = mkdtempSync(join(tmpdir(), 'gitgate-bench-policy-'));
try {
  const input = typicalPushInput();
  const inputJson = JSON.stringify(input);
  const bundlePath = join(scratch, 'bundle.tar.gz');
  const built = await buildBundle(policiesDir, bundlePath);
  const bundle = await readBundleFile(bundlePath);
  console.log(`policy revision ${built.revision.slice(0, 16)}, input ${inputJson.length} bytes: ` +
    `${input.updates.length} ref updates, ${input.updates.reduce((n, u) => n + u.files.length, 0)} files, ` +
    `${input.updates.reduce((n, u) => n + u.secret_findings.length, 0)} findings; node ${process.version}\n`);

  const rows: Summary[] = [];
  const engine = await PolicyEngine.start({ source: { kind: 'bundle', path: bundlePath }, size: workers });
  const first = await engine.evaluate('push', input);
  console.log(`decision: allow=${first.result.allow}, deny ${first.result.deny.map((d) => d.code).join(',')}, ` +
    `approvals ${first.result.approvals.map((a) => a.group).join(',')}\n`);
  for (let i = 0; i < 500; i += 1) await engine.evaluate('push', input); // warm up

  let latencies: number[] = [];
  let started = performance.now();
  for (let i = 0; i < decisions; i += 1) {
    const t0 = performance.now();
    await engine.evaluate('push', input);
    latencies.push(performance.now() - t0);
  }
  rows.push(summarize('engine, one at a time', latencies, performance.now() - started));

  const inFlight = workers * 4;
  latencies = [];
  started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < decisions) {
        next += 1;
        const t0 = performance.now();
        await engine.evaluate('push', input);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  rows.push(summarize(`engine, ${inFlight} in flight, ${workers} workers`, latencies, performance.now() - started));
  await engine.close();

  const wasm = WasmPolicy.load(bundle.wasm, bundle.data);
  for (let i = 0; i < 500; i += 1) wasm.evaluate('gitgate/push', inputJson, 0);
  latencies = [];
  started = performance.now();
  for (let i = 0; i < decisions; i += 1) {
    const t0 = performance.now();
    wasm.evaluate('gitgate/push', inputJson, 0);
    latencies.push(performance.now() - t0);
  }
  rows.push(summarize('WASM alone, calling thread', latencies, performance.now() - started));

  const opa = await locateOpa();
  const inputFile = join(scratch, 'input.json');
  writeFileSync(inputFile, inputJson);
  latencies = [];
  started = performance.now();
  for (let i = 0; i < opaRuns; i += 1) {
    const t0 = performance.now();
    await runOpaOrThrow(['eval', '--bundle', policiesDir, '--input', inputFile, '--format', 'json', 'data.gitgate.push'], { opa });
    latencies.push(performance.now() - t0);
  }
  rows.push(summarize('opa eval, one process each', latencies, performance.now() - started));

  print(rows);
  const engineP99 = rows[0]?.p99Ms ?? Infinity;
  console.log(`\ntarget p99 <= 1 ms per decision (engine, one at a time): ${engineP99 <= 1 ? 'met' : 'NOT met'} (${engineP99.toFixed(3)} ms)`);
  // p99 on a shared machine mostly measures what else runs on it: say how busy it was.
  console.log(`load average during the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
