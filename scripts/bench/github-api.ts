// npm run bench:github-api — the cost of the GitHub REST API through gitgate, against the same
// upstream (testdata/fake-github, in this process): directly vs through `gitgate serve` running in a
// process of its own (its RSS measured alone), with the default policies and secret rules:
//   1. a small GET (/repos/{owner}/{repo}): median latency of --runs sequential calls;
//   2. a page of 100 issues with 4 KB bodies (~450 KB of JSON, every string masked): median of --runs;
//   3. one list of --big-mb MB of JSON streamed through the masking stream: wall time and the
//      gateway's peak RSS (the masker holds one string value at a time, not the document).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startChildGateway } from '../../gateway/e2e/child-gateway.js';
import { fakeGithubToken } from '../../gateway/secrets/test-helpers.js';
import { startFakeGitHub } from '../../testdata/fake-github/fake-github-server.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '200' }, 'big-mb': { type: 'string', default: '50' } } });
const runs = Number(values.runs);
const bigBytes = Number(values['big-mb']) * 1e6;
const BODY = 4000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timedFetch(url: string, authorization: string): Promise<{ ms: number; bytes: number }> {
  const start = performance.now();
  const response = await fetch(url, { headers: { authorization, accept: 'application/vnd.github+json' } });
  const body = await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  return { ms: performance.now() - start, bytes: body.byteLength };
}

async function main(): Promise<void> {
  const upstreamToken = fakeGithubToken(99);
  process.env['GITGATE_BENCH_GITHUB_TOKEN'] = upstreamToken;
  const bigCount = Math.ceil(bigBytes / (BODY + 400));
  const github = await startFakeGitHub({
    tokens: [upstreamToken],
    maxPerPage: bigCount,
    repositories: [{ owner: 'acme', name: 'app', issues: bigCount, issueBodyChars: BODY }],
  });
  // Run from dist/ (npm run build): the compiled CLI is beside this script's tree.
  const cli = [process.execPath, join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'gateway', 'cli.js')];
  const gateway = await startChildGateway({
    cli,
    root: mkdtempSync(join(tmpdir(), 'gitgate-bench-api-')),
    upstreams: [{ type: 'http', name: 'github', scheme: 'http', repositories: [`${github.host}/acme/*`] }],
    extraConfig: { github_api: { base_url: github.baseUrl, credential: { token_env: 'GITGATE_BENCH_GITHUB_TOKEN' } } },
  });
  const direct = { base: github.baseUrl, auth: `Bearer ${upstreamToken}` };
  const through = { base: `${gateway.url}/api/github`, auth: `Bearer ${gateway.token}` };
  try {
    const rows: string[] = [];
    for (const [name, path, count] of [
      ['small GET /repos/acme/app', '/repos/acme/app', runs],
      ['100 issues, 4 KB bodies', '/repos/acme/app/issues?per_page=100', Math.max(5, Math.floor(runs / 10))],
    ] as const) {
      for (const side of [direct, through]) await timedFetch(`${side.base}${path}`, side.auth); // warm up
      const times = { direct: [] as number[], gateway: [] as number[] };
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        times.direct.push((await timedFetch(`${direct.base}${path}`, direct.auth)).ms);
        const result = await timedFetch(`${through.base}${path}`, through.auth);
        times.gateway.push(result.ms);
        bytes = result.bytes;
      }
      const d = median(times.direct);
      const g = median(times.gateway);
      rows.push(`${name} (${(bytes / 1000).toFixed(0)} KB, median of ${count}): direct ${d.toFixed(2)} ms, through gitgate ${g.toFixed(2)} ms (+${(g - d).toFixed(2)} ms, ${(g / d).toFixed(2)}x)`);
    }
    const bigPath = `/repos/acme/app/issues?per_page=${bigCount}`;
    const directBig = await timedFetch(`${direct.base}${bigPath}`, direct.auth);
    const idle = gateway.rss();
    const peak = gateway.measurePeak();
    const throughBig = await timedFetch(`${through.base}${bigPath}`, through.auth);
    const peakRss = peak.stop();
    rows.push(
      `one ${(throughBig.bytes / 1e6).toFixed(1)} MB JSON list: direct ${directBig.ms.toFixed(0)} ms, through gitgate ${throughBig.ms.toFixed(0)} ms (${(throughBig.ms / directBig.ms).toFixed(2)}x); gateway RSS ${(idle / 2 ** 20).toFixed(0)} MiB idle, peak ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
    );
    console.log(`bench:github-api (node ${process.version}, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')})`);
    for (const row of rows) console.log(`  ${row}`);
  } finally {
    await gateway.close();
    await github.close();
  }
}

await main();
