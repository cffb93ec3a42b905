// npm run bench:passthrough — the streaming client of fetch pass-through: gitgate's HttpUpstream
// (node's http client, headers built from an allowlist, the gateway's credential injected) against
// `http2-proxy` 5.0.53 (the library the issue names) doing the same relay, and a direct clone.
// Each relay runs in a process of its own (its peak RSS is measured alone) in front of the same
// `git http-backend`, which requires the gateway's credential. The repository (--mb MB of seeded
// files, default 200) is generated once and cached under .cache/bench/.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeBulkHistory } from '../../testdata/bulk-history.js';
import { hermeticGitEnv } from '../../testdata/git-cli.js';
import { startHttpBackend } from '../../testdata/http-backend-server.js';
import { createSeededRepo } from '../../testdata/seeded-repo.js';
import { HttpUpstream } from '../../gateway/upstream/http-upstream.js';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..', '..', '..');
const CREDENTIAL_ENV = 'GITGATE_BENCH_UPSTREAM_PASSWORD';
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    mb: { type: 'string', default: '200' },
    // Internal: run one relay (`ours` or `http2-proxy`) in front of --upstream, print its port.
    relay: { type: 'string' },
    upstream: { type: 'string' },
  },
});

/** The relay process: GET info/refs and POST git-upload-pack, streamed, with the credential added. */
async function runRelay(kind: string, upstreamBase: string): Promise<void> {
  const base = new URL(upstreamBase);
  const upstream = new HttpUpstream(upstreamBase, { username: 'gateway', source: { kind: 'env', name: CREDENTIAL_ENV } });
  const basic = `Basic ${Buffer.from(`gateway:${process.env[CREDENTIAL_ENV]}`).toString('base64')}`;
  // A CommonJS module whose exports node cannot list statically: its API is the default export.
  const http2Proxy = kind === 'http2-proxy' ? ((await import('http2-proxy')) as unknown as { default: typeof import('http2-proxy') }).default : undefined;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://relay.invalid');
    const service = url.pathname.endsWith('/info/refs') ? 'advertise' : url.pathname.endsWith('/git-upload-pack') ? 'rpc' : undefined;
    if (service === undefined) {
      response.writeHead(404).end();
      return;
    }
    const suffix = service === 'advertise' ? `/info/refs${url.search}` : '/git-upload-pack';
    if (http2Proxy !== undefined) {
      // http2-proxy copies the client's headers: the client's own Authorization (its gitgate token)
      // must be replaced, never passed on.
      http2Proxy
        .web(request, response, {
          hostname: base.hostname,
          port: Number(base.port),
          path: `${base.pathname}${suffix}`,
          onReq: async (_request, options) => {
            options.headers = { ...options.headers, authorization: basic };
          },
        })
        ?.catch(() => response.destroy());
      return;
    }
    const gitProtocol = request.headers['git-protocol'] as string | undefined;
    const answer =
      service === 'advertise'
        ? upstream.advertise('git-upload-pack', { gitProtocol, userAgent: request.headers['user-agent'] })
        : upstream.rpc('git-upload-pack', request, { gitProtocol, userAgent: request.headers['user-agent'], contentEncoding: request.headers['content-encoding'] });
    answer
      .then(async (upstreamResponse) => {
        response.writeHead(upstreamResponse.status, { 'content-type': upstreamResponse.contentType, 'cache-control': 'no-cache' });
        await pipeline(upstreamResponse.body, response);
      })
      .catch(() => response.destroy());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
}

function git(args: string[], cwd: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn('git', args, { cwd, env: hermeticGitEnv({ GIT_TERMINAL_PROMPT: '0' }), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => (code === 0 ? resolvePromise(performance.now() - started) : reject(new Error(`git ${args.join(' ')}: ${stderr}`))));
  });
}

async function repository(megabytes: number): Promise<string> {
  const cached = join(projectRoot, '.cache', 'bench', `passthrough-seed200-${megabytes}MB.git`);
  if (existsSync(cached)) return cached;
  mkdirSync(dirname(cached), { recursive: true });
  const building = `${cached}.tmp-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  console.log(`generating a ${megabytes} MB repository once (cached in ${cached}) ...`);
  await createSeededRepo(building, { seed: 200, commits: 50, initialFiles: 100, filesEditedPerCommit: 4, fileLines: [20, 200], linesChangedPerEdit: [1, 6] });
  await writeBulkHistory(building, { seed: 200, totalBytes: megabytes * 1e6, branch: 'main', from: 'refs/heads/main' });
  renameSync(building, cached);
  return cached;
}

interface Relay {
  port: number;
  /** The kernel's peak RSS of the relay over its whole life (VmHWM); it serves nothing else. */
  peakRss: () => number;
  stop: () => void;
}

async function startRelay(kind: string, upstreamBase: string): Promise<Relay> {
  const relay = spawn(process.execPath, [fileURLToPath(import.meta.url), '--relay', kind, '--upstream', upstreamBase], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolvePort, reject) => {
    relay.stdout.once('data', (d: Buffer) => resolvePort(Number(d.toString().trim())));
    relay.once('exit', (code) => reject(new Error(`the ${kind} relay exited ${code}`)));
  });
  return {
    port,
    peakRss: () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${relay.pid}/status`, 'latin1'))?.[1] ?? 0) * 1024,
    stop: () => relay.kill(),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const runs = Number(values.runs);
  const megabytes = Number(values.mb);
  const repo = await repository(megabytes);
  const root = mkdtempSync(join(tmpdir(), 'gitgate-bench-passthrough-'));
  const password = 'bench-upstream-credential';
  process.env[CREDENTIAL_ENV] = password;
  try {
    mkdirSync(join(root, 'upstream'));
    await git(['clone', '-q', '--bare', '--no-local', repo, join(root, 'upstream', 'repo.git')], root);
    const backend = await startHttpBackend(join(root, 'upstream'), { basicAuth: `gateway:${password}` });
    const upstreamBase = `${backend.origin}/repo.git`;
    const basic = Buffer.from(`gateway:${password}`).toString('base64');
    const ours = await startRelay('ours', upstreamBase);
    const h2p = await startRelay('http2-proxy', upstreamBase);
    const times = { direct: [] as number[], ours: [] as number[], h2p: [] as number[] };
    // Interleaved, so that a change in the machine's load hits all three alike.
    for (let i = 0; i < runs; i++) {
      const clone = async (url: string, extra: string[] = []) => {
        const target = join(root, `clone-${i}.git`);
        const ms = await git([...extra, 'clone', '-q', '--bare', url, target], root);
        rmSync(target, { recursive: true, force: true });
        return ms;
      };
      times.direct.push(await clone(upstreamBase, ['-c', `http.extraHeader=Authorization: Basic ${basic}`]));
      times.ours.push(await clone(`http://127.0.0.1:${ours.port}/repo.git`));
      times.h2p.push(await clone(`http://127.0.0.1:${h2p.port}/repo.git`));
    }
    const direct = median(times.direct);
    const result = { ours: { ms: median(times.ours), peakRss: ours.peakRss() }, h2p: { ms: median(times.h2p), peakRss: h2p.peakRss() } };
    ours.stop();
    h2p.stop();
    const mib = (bytes: number) => (bytes / (1024 * 1024)).toFixed(0);
    console.log(`\nclone of a ${megabytes} MB repository from git http-backend; ${runs} runs (medians); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    console.log(`direct                                  ${direct.toFixed(0).padStart(6)} ms`);
    for (const [name, r] of [["through gitgate's HttpUpstream", result.ours], ['through http2-proxy 5.0.53', result.h2p]] as const) {
      console.log(`${name.padEnd(40)}${r.ms.toFixed(0).padStart(6)} ms  ${(r.ms / direct).toFixed(2)}x  relay peak RSS ${mib(r.peakRss)} MiB`);
    }
    await backend.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (values.relay !== undefined) await runRelay(values.relay, values.upstream!);
else await main();
