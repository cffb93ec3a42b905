// npm run bench:audit — what the audit log costs.
//   1. Events appended per second with the default durability (each append resolves once fsynced;
//      appends in flight together share one fsync), one at a time and 64 in flight, against the
//      alternatives in the same run: the same log without fsync, and plain JSON lines with fsync
//      (no masking, no hash chain). The event is a policy decision holding a typical push input.
//   2. Added latency per push: `git push` of one new commit to a new branch through an in-process
//      gateway with the audit log (intent synced before forwarding, pack kept, replay pack after)
//      against the same gateway without it, alternating, median of --runs.
// Prints ratios and peak RSS.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ChainedAuditLog, CheckpointSigner, JsonlSegmentStore, decisionLogEntry } from '../../gateway/audit/index.js';
import { resolveConfig } from '../../gateway/config/load-config.js';
import { ensureDemoRepository } from '../../gateway/demo/demo-setup.js';
import { GatewayServer } from '../../gateway/http/gateway-server.js';
import { loadRuleSet, SecretMasker, SecretScanner } from '../../gateway/secrets/index.js';
import { startGateway } from '../../gateway/server/start-gateway.js';
import { hermeticGitEnv } from '../../testdata/git-cli.js';
import type { DecisionRecord } from '../../rego/index.js';
import { typicalPushInput } from './typical-push-input.js';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '20000' }, sequential: { type: 'string', default: '1000' }, runs: { type: 'string', default: '15' }, 'large-mb': { type: 'string', default: '50' } },
});
const largeBytes = Number(values['large-mb']) * 1000 * 1000;
const concurrentCount = Number(values.events);
const sequentialCount = Number(values.sequential);
const runs = Number(values.runs);

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const root = mkdtempSync(join(tmpdir(), 'gitgate-bench-audit-'));
const scanner = new SecretScanner(loadRuleSet(), { fingerprintKey: 'bench-fingerprint-key-0123456789' });
const masker = new SecretMasker(scanner);

const input = typicalPushInput();
const decision: DecisionRecord = {
  decision_id: randomUUID(),
  timestamp: new Date().toISOString(),
  kind: 'push',
  path: 'gitgate/push',
  request_id: input.request.id,
  bundle: { revision: 'sha256:bench' },
  input_digest: 'sha256:bench',
  result: { allow: false, deny: [{ code: 'SECRET_IN_ADDED_LINES', message: 'a secret in src/api/config.ts', ref: 'refs/heads/main' }], approvals: [], warnings: [] },
  metrics: { timer_eval_ns: 1_000_000, timer_total_ns: 1_200_000 },
};
const eventData = decisionLogEntry(decision, input);
const eventBytes = JSON.stringify(eventData).length;

const smallData = { method: 'POST', path: '/acme/app.git/git-receive-pack', service: 'git-receive-pack', phase: 'rpc', remote_address: '10.0.0.7', user_agent: 'git/2.47.0' };

async function chainedRate(name: string, count: number, inFlight: number, sync: boolean, data: Record<string, unknown> = eventData): Promise<number> {
  const directory = join(root, `${name}-${inFlight}-${sync}`);
  const store = new JsonlSegmentStore({ directory, sync });
  const log = await ChainedAuditLog.open({ store, masker, signer: CheckpointSigner.loadOrCreate(join(directory, 'key.pem')), checkpointIntervalMs: 0 });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        next += 1;
        await log.append({ type: data === eventData ? 'policy.decision' : 'request.received', request_id: input.request.id, repository: 'acme/app', data });
      }
    }),
  );
  const rate = count / ((performance.now() - started) / 1000);
  await log.close();
  return rate;
}

async function plainRate(count: number, inFlight: number): Promise<number> {
  // The alternative: the same JSON lines, no masking, no chain; fsync after each write (serialized).
  const handle = await open(join(root, `plain-${inFlight}.jsonl`), 'a');
  const started = performance.now();
  let next = 0;
  let tail: Promise<void> = Promise.resolve();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        next += 1;
        const line = `${JSON.stringify({ type: 'policy.decision', time: new Date().toISOString(), data: eventData })}\n`;
        tail = tail.then(async () => {
          await handle.write(line);
          await handle.datasync();
        });
        await tail;
      }
    }),
  );
  const rate = count / ((performance.now() - started) / 1000);
  await handle.close();
  return rate;
}

const env = hermeticGitEnv({ GIT_TERMINAL_PROMPT: '0' });
function git(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args.join(' ')}: ${stderr}`))));
  });
}

try {
  console.log(`event: a push policy decision with a typical input (${(eventBytes / 1024).toFixed(1)} KiB of JSON before masking); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const sequential = await chainedRate('seq', sequentialCount, 1, true);
  const sequentialPlain = await plainRate(sequentialCount, 1);
  const concurrent = await chainedRate('conc', concurrentCount, 64, true);
  const concurrentNoSync = await chainedRate('nosync', concurrentCount, 64, false);
  const concurrentPlain = await plainRate(Math.min(concurrentCount, sequentialCount * 2), 64);
  const smallSequential = await chainedRate('small-seq', sequentialCount, 1, true, smallData);
  const smallConcurrent = await chainedRate('small-conc', concurrentCount, 64, true, smallData);
  const row = (label: string, rate: number, base?: number) => console.log(`${label.padEnd(58)} ${rate.toFixed(0).padStart(7)} events/s${base === undefined ? '' : `   ${(rate / base).toFixed(2)}x of plain JSONL+fsync`}`);
  console.log('\nappend throughput');
  row('gitgate audit, 1 in flight (default: fsync each)', sequential, sequentialPlain);
  row('plain JSON lines + fsync, 1 in flight', sequentialPlain);
  row('gitgate audit, 64 in flight (default: group-committed fsync)', concurrent, concurrentPlain);
  row('gitgate audit, 64 in flight, no fsync', concurrentNoSync, concurrentPlain);
  row('plain JSON lines + fsync each, 64 in flight', concurrentPlain);
  console.log(`small events (request.received, ${JSON.stringify(smallData).length} bytes of data):`);
  row('gitgate audit, 1 in flight (fsync each)', smallSequential);
  row('gitgate audit, 64 in flight (group-committed fsync)', smallConcurrent);

  // 2. Push latency with and without the audit log, same process, same upstream.
  const upstreamDir = join(root, 'upstream');
  mkdirSync(upstreamDir);
  ensureDemoRepository(upstreamDir);
  const config = resolveConfig({ listen: { host: '127.0.0.1', port: 0 }, data_dir: 'data', upstreams: [{ type: 'file', name: 'local', path: 'upstream' }] }, root, join(root, 'gitgate.yaml'));
  const silent = pino({ level: 'silent' });
  const audited = await startGateway(config, { logDestination: pino.destination('/dev/null') });
  const plain = new GatewayServer({ config, tokens: audited.tokens, oidc: [], policy: audited.policy, scanner, masker, logger: silent });
  const plainAddress = await plain.listen(0, '127.0.0.1');
  // The same audit log, but no packs kept (no pack write before the intent, no replay pack after).
  const eventsOnly = new GatewayServer({ config, tokens: audited.tokens, oidc: [], policy: audited.policy, scanner, masker, logger: silent, audit: audited.audit.log });
  const eventsOnlyAddress = await eventsOnly.listen(0, '127.0.0.1');
  const { token } = audited.tokens.create('bench-agent', ['agents']);
  const auditedUrl = `${audited.url.replace('://', `://agent:${token}@`)}/demo/hello.git`;
  const plainUrl = `http://agent:${token}@127.0.0.1:${plainAddress.port}/demo/hello.git`;
  const eventsOnlyUrl = `http://agent:${token}@127.0.0.1:${eventsOnlyAddress.port}/demo/hello.git`;
  const client = join(root, 'client');
  await git(['clone', '-q', plainUrl, client], root);
  await git(['config', 'user.email', 'bench@example.com'], client);
  await git(['config', 'user.name', 'Bench'], client);
  const times = { audited: [] as number[], plain: [] as number[], eventsOnly: [] as number[] };
  for (let i = 0; i < runs; i++) {
    for (const [kind, url] of [['plain', plainUrl], ['audited', auditedUrl], ['eventsOnly', eventsOnlyUrl]] as const) {
      await audited.audit.log.flush();
      await new Promise((resolve) => setTimeout(resolve, 300)); // let the previous push's replay pack finish
      await git(['checkout', '-q', '-B', `bench-${kind}-${i}`, 'origin/main'], client);
      writeFileSync(join(client, `bench-${kind}-${i}.txt`), `${kind} ${i}\n`);
      await git(['add', '.'], client);
      await git(['commit', '-q', '-m', `bench ${kind} ${i}`], client);
      const started = performance.now();
      await git(['push', '-q', url, `HEAD:refs/heads/bench-${kind}-${i}`], client);
      times[kind].push(performance.now() - started);
    }
  }
  await audited.audit.log.flush();
  const p = median(times.plain);
  const a = median(times.audited);
  console.log(`\npush of 1 new commit to a new branch (median of ${runs}, file upstream, in-process gateway)`);
  const e = median(times.eventsOnly);
  console.log(`without audit ${p.toFixed(1).padStart(7)} ms   with audit ${a.toFixed(1).padStart(7)} ms   ${(a / p).toFixed(2)}x   +${(a - p).toFixed(1)} ms per push`);
  console.log(`audit events only, no packs kept ${e.toFixed(1).padStart(7)} ms   ${(e / p).toFixed(2)}x   +${(e - p).toFixed(1)} ms per push`);
  if (largeBytes > 0) {
    // One push of incompressible new files each way: the pack copy before the intent grows with it.
    const large = { plain: 0, audited: 0 };
    for (const [kind, url] of [['plain', plainUrl], ['audited', auditedUrl]] as const) {
      await git(['checkout', '-q', '-B', `large-${kind}`, 'origin/main'], client);
      mkdirSync(join(client, `large-${kind}`));
      for (let f = 0; f < 10; f++) writeFileSync(join(client, `large-${kind}`, `blob-${f}.bin`), randomBytes(Math.floor(largeBytes / 10)));
      await git(['add', '.'], client);
      await git(['commit', '-q', '-m', `large ${kind}`], client);
      await audited.audit.log.flush();
      const started = performance.now();
      await git(['push', '-q', url, `HEAD:refs/heads/large-${kind}`], client);
      large[kind] = performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    console.log(`push of ${(largeBytes / 1e6).toFixed(0)} MB of new incompressible files (once each)`);
    console.log(`without audit ${large.plain.toFixed(0).padStart(7)} ms   with audit ${large.audited.toFixed(0).padStart(7)} ms   ${(large.audited / large.plain).toFixed(2)}x   +${(large.audited - large.plain).toFixed(0)} ms`);
  }
  console.log(`\npeak RSS of the benchmark process: ${(peakRss / 1024 / 1024).toFixed(0)} MiB; load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  await plain.close();
  await eventsOnly.close();
  await audited.close();
} finally {
  clearInterval(sampler);
  rmSync(root, { recursive: true, force: true });
}
