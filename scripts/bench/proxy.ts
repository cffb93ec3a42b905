// npm run bench:proxy — the cost of going through gitgate, against the same upstream: the real
// `git http-backend` (testdata/http-backend-server.ts). Directly vs through the gateway (which
// runs in this process, with its mirror of the upstream, the default policies and secret rules):
//   1. clone of a generated repository (median of --runs);
//   2. a push of 1 new commit to a new branch (median of --runs; the gateway's mirror is warm);
//   3. a push of 2,000 new commits to a new branch (once each).
// Prints wall times, ratios and the peak RSS of this process (gateway + the small driver).
// Targets (issue 4): clone within 1.1x, small push at most +50 ms, large push within 1.3x.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { resolveConfig } from '../../gateway/config/load-config.js';
import { startGateway } from '../../gateway/server/start-gateway.js';
import { startHttpBackend } from '../../testdata/http-backend-server.js';
import { hermeticGitEnv } from '../../testdata/git-cli.js';
import { createSeededRepo } from '../../testdata/seeded-repo.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, commits: { type: 'string', default: '300' } } });
const runs = Number(values.runs);
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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

const root = mkdtempSync(join(tmpdir(), 'gitgate-bench-proxy-'));
try {
  console.log(`generating the repository (${values.commits} commits)...`);
  await createSeededRepo(join(root, 'upstream', 'bench', 'repo.git'), {
    seed: 7, commits: Number(values.commits), initialFiles: 300, filesEditedPerCommit: 4, fileLines: [20, 200], linesChangedPerEdit: [1, 6], mergeEvery: 25,
  });
  const backend = await startHttpBackend(join(root, 'upstream'));
  const config = resolveConfig(
    { listen: { host: '127.0.0.1', port: 0 }, data_dir: 'data', upstreams: [{ type: 'http', scheme: 'http', repositories: [`${backend.host}/bench/*`] }] },
    root,
    join(root, 'gitgate.yaml'),
  );
  const gateway = await startGateway(config, { logDestination: new Writable({ write: (_c, _e, done) => done() }) });
  const { token } = gateway.tokens.create('bench', ['agents']);
  const direct = `${backend.origin}/bench/repo.git`;
  const through = `http://bench:${token}@${new URL(gateway.url).host}/${backend.host}/bench/repo.git`;
  const work = join(root, 'work');
  mkdirSync(work);

  const clone = { direct: [] as number[], gateway: [] as number[] };
  for (let i = 0; i < runs; i++) {
    clone.direct.push(await timed(() => git(['clone', '-q', '--bare', direct, `d${i}.git`], work)));
    clone.gateway.push(await timed(() => git(['clone', '-q', '--bare', through, `g${i}.git`], work)));
  }
  await git(['clone', '-q', direct, 'client'], work);
  const client = join(work, 'client');
  await git(['push', '-q', through, 'HEAD:refs/heads/warm-up'], client); // creates the gateway's mirror

  const small = { direct: [] as number[], gateway: [] as number[] };
  for (let i = 0; i < runs; i++) {
    for (const [kind, url] of [['direct', direct], ['gateway', through]] as const) {
      await git(['checkout', '-q', '-B', `small-${kind}-${i}`, 'origin/main'], client);
      writeFileSync(join(client, `small-${kind}-${i}.txt`), `${kind} ${i}\n`);
      await git(['add', '.'], client);
      await git(['commit', '-q', '-m', `small ${kind} ${i}`], client);
      small[kind].push(await timed(() => git(['push', '-q', url, `HEAD:refs/heads/small-${kind}-${i}`], client)));
    }
  }
  const commits = 2000;
  await git(['fast-import', '--quiet'], client, commitsStream('large-direct', commits, 'direct'));
  await git(['fast-import', '--quiet'], client, commitsStream('large-gateway', commits, 'gateway'));
  const large = {
    direct: await timed(() => git(['push', '-q', direct, 'large-direct:refs/heads/large-direct'], client)),
    gateway: await timed(() => git(['push', '-q', through, 'large-gateway:refs/heads/large-gateway'], client)),
  };

  const row = (name: string, d: number, g: number, target: string) =>
    console.log(`${name.padEnd(24)} direct ${d.toFixed(0).padStart(6)} ms   gitgate ${g.toFixed(0).padStart(6)} ms   ${(g / d).toFixed(2)}x  +${(g - d).toFixed(0)} ms   target ${target}`);
  console.log(`\nupstream: git http-backend; ${runs} runs (medians); ${values.commits}-commit repository\n`);
  row('clone', median(clone.direct), median(clone.gateway), '<= 1.10x');
  row('push, 1 commit', median(small.direct), median(small.gateway), '<= +50 ms');
  row(`push, ${commits} commits`, large.direct, large.gateway, '<= 1.30x');
  console.log(`peak RSS of this process (gateway and driver): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  await gateway.close();
  await backend.close();
} finally {
  rmSync(root, { recursive: true, force: true });
}
