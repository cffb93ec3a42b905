import t from 'tap';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBulkHistory } from '../../testdata/bulk-history.js';
import { startHttpBackend, type HttpBackendServer } from '../../testdata/http-backend-server.js';
import { ensureDemoRepository } from '../demo/demo-setup.js';
import { compileGatewayCli, startChildGateway, type ChildGateway } from './child-gateway.js';
import { GitClient } from './git-client.js';

/** The figure: a push of at least 100 MB succeeds and the gateway's RSS stays bounded. */
const PUSH_BYTES = 125 * 1000 * 1000;
/** Generous: the gateway idles at about 150 MB (policy workers) and should add little to it. */
const RSS_BOUND_BYTES = 400 * 1000 * 1000;

const git = new GitClient();
const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
let root: string;
let backend: HttpBackendServer;
let gateway: ChildGateway;
let build: { cli: string[]; remove: () => void } | undefined;

async function compiledCli(): Promise<string[]> {
  build = await compileGatewayCli();
  return build.cli;
}

t.before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gitgate-large-push-'));
  const upstreamRoot = join(root, 'upstream');
  mkdirSync(upstreamRoot);
  ensureDemoRepository(upstreamRoot);
  backend = await startHttpBackend(upstreamRoot);
  gateway = await startChildGateway({
    // Compiled: under the test's TypeScript loader every worker thread would load the compiler too.
    cli: await compiledCli(),
    root,
    upstreams: [{ type: 'http', name: 'backend', scheme: 'http', repositories: [`${backend.host}/demo/*`] }],
  });
});
t.teardown(async () => {
  await gateway?.close();
  await backend?.close();
  build?.remove();
});

t.test(`a push of ${mb(PUSH_BYTES)} MB goes through with the gateway's RSS bounded`, async (t) => {
  const client = join(root, 'client.git');
  await git.ok(['clone', '-q', '--bare', `${backend.origin}/demo/hello.git`, client], root);
  const summary = await writeBulkHistory(client, { seed: 100, totalBytes: PUSH_BYTES, branch: 'bulk', from: 'refs/heads/main' });
  const tip = (await git.ok(['--git-dir', client, 'rev-parse', 'refs/heads/bulk'], root)).trim();

  const before = gateway.rss();
  const peak = gateway.measurePeak();
  const started = performance.now();
  const push = await git.run(['--git-dir', client, 'push', gateway.remote(`${backend.host}/demo/hello`), 'refs/heads/bulk:refs/heads/bulk'], root);
  const seconds = (performance.now() - started) / 1000;
  const peakBytes = peak.stop();
  t.equal(push.code, 0, push.stderr);

  const upstreamTip = await git.run(['--git-dir', join(root, 'upstream/demo/hello.git'), 'rev-parse', 'refs/heads/bulk'], root);
  t.equal(upstreamTip.stdout.trim(), tip, 'the upstream has the pushed branch');
  // git probes a large push with a lone flush first (logged with no pack), then sends it.
  const allowed = gateway.logs().split('\n').filter((line) => line.includes('push allowed')).map((line) => JSON.parse(line) as { pack: { size: number; objects: number } | null; timings_ms?: unknown });
  const pack = allowed.find((line) => line.pack !== null)?.pack ?? undefined;
  t.comment(`gateway timings_ms: ${JSON.stringify(allowed.find((line) => line.pack !== null)?.timings_ms)}`);
  t.ok(pack !== undefined && pack.size >= 100 * 1024 * 1024, `pack of ${mb(pack?.size ?? 0)} MB, ${pack?.objects} objects (${summary.commits} commits, ${summary.files} files)`);
  t.comment(`push of ${mb(pack?.size ?? 0)} MB in ${seconds.toFixed(1)} s; gateway RSS ${mb(before)} MB before, peak ${mb(peakBytes)} MB during the push`);
  t.ok(peakBytes > 0, 'peak RSS measured');
  t.ok(peakBytes < RSS_BOUND_BYTES, `gateway peak RSS ${mb(peakBytes)} MB stays under ${mb(RSS_BOUND_BYTES)} MB`);
});
