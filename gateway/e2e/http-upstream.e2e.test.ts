import t from 'tap';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startHttpBackend, type HttpBackendServer } from '../../testdata/http-backend-server.js';
import { ensureDemoRepository } from '../demo/demo-setup.js';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';

const UPSTREAM_PASSWORD = 'upstream-credential-of-the-gateway';
const git = new GitClient();
let backend: HttpBackendServer;
let harness: GatewayHarness;
let downHost: string;
let projectRoot: string;

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

t.before(async () => {
  process.env['GITGATE_TEST_UPSTREAM_PASSWORD'] = UPSTREAM_PASSWORD;
  projectRoot = mkdtempSync(join(tmpdir(), 'gitgate-backend-'));
  ensureDemoRepository(join(projectRoot));
  backend = await startHttpBackend(projectRoot, { basicAuth: `gateway:${UPSTREAM_PASSWORD}` });
  downHost = `127.0.0.1:${await closedPort()}`;
  harness = await startHarness([
    { type: 'http', name: 'backend', scheme: 'http', repositories: [`${backend.host}/demo/*`], credential: { username: 'gateway', password_env: 'GITGATE_TEST_UPSTREAM_PASSWORD' } },
    { type: 'http', name: 'down', scheme: 'http', repositories: [`${downHost}/demo/*`] },
  ]);
  mkdirSync(join(harness.root, 'work'));
});
t.teardown(async () => {
  await harness.close();
  await backend.close();
});

t.test('clone and fetch through an http upstream (git http-backend), v0 and v2, with the gateway credential', async (t) => {
  const work = join(harness.root, 'work');
  for (const version of ['0', '2']) {
    const result = await git.run(['-c', `protocol.version=${version}`, 'clone', harness.remote(`${backend.host}/demo/hello`), `clone-v${version}`], work);
    t.equal(result.code, 0, result.stderr);
    t.equal((await git.ok(['log', '--oneline'], join(work, `clone-v${version}`))).trim().split('\n').length, 3);
    const fetch = await git.run(['-c', `protocol.version=${version}`, 'fetch', 'origin'], join(work, `clone-v${version}`));
    t.equal(fetch.code, 0, fetch.stderr);
  }
  const expected = `Basic ${Buffer.from(`gateway:${UPSTREAM_PASSWORD}`).toString('base64')}`;
  t.ok(backend.authorizations.length > 0);
  t.ok(backend.authorizations.every((a) => a === expected), 'the upstream saw only the gateway credential, never the agent token');
  t.notMatch(harness.logs(), UPSTREAM_PASSWORD);
  t.notMatch(harness.logs(), harness.token);
});

t.test('an http upstream that is down gives a clear error', async (t) => {
  const result = await git.run(['ls-remote', harness.remote(`${downHost}/demo/hello`)], harness.root);
  t.not(result.code, 0);
  t.match(result.stderr, new RegExp(`remote: gitgate: the upstream of '${downHost.replace('.', '\\.')}/demo/hello' failed: cannot reach the upstream http://${downHost.replace('.', '\\.')}/demo/hello\\.git/info/refs: ECONNREFUSED \\(UPSTREAM_UNREACHABLE\\)`));
});

t.test('pushes through an http upstream are inspected against the mirror and forwarded', async (t) => {
  const clone = join(harness.root, 'work', 'clone-v0');
  const upstreamRef = async (ref: string) =>
    (await git.run(['--git-dir', join(projectRoot, 'demo/hello.git'), 'rev-parse', '--verify', '-q', ref], harness.root)).stdout.trim();
  await git.ok(['config', 'user.name', 'Agent One'], clone);
  await git.ok(['config', 'user.email', 'agent-1@example.com'], clone);
  writeFileSync(join(clone, 'README.md'), '# hello\n\nthrough an http upstream\n');
  await git.ok(['commit', '-q', '-am', 'Update the README'], clone);
  const head = (await git.ok(['rev-parse', 'HEAD'], clone)).trim();

  const branch = await git.run(['push', 'origin', 'HEAD:refs/heads/feature/http'], clone);
  t.equal(branch.code, 0, branch.stderr);
  t.equal(await upstreamRef('refs/heads/feature/http'), head);

  const ff = await git.run(['push', 'origin', 'HEAD:main'], clone);
  t.equal(ff.code, 0, ff.stderr);
  t.equal(await upstreamRef('refs/heads/main'), head);

  await git.ok(['commit', '-q', '--amend', '-m', 'Rewrite'], clone);
  const force = await git.run(['push', '--force', 'origin', 'HEAD:main'], clone);
  t.not(force.code, 0);
  t.match(force.stderr, /remote: PROTECTED_REF_FORCE_PUSH \(refs\/heads\/main\)/);
  t.equal(await upstreamRef('refs/heads/main'), head, 'main did not move');
  // The bodies the gateway forwarded have a known length, and it says so (as git does for a small body).
  const forwarded = backend.posts.filter((post) => /git-(receive|upload)-pack$/.test(post.path));
  t.ok(forwarded.some((post) => post.path.endsWith('git-receive-pack')), 'pushes were forwarded');
  t.same(new Set(forwarded.map((post) => post.framing)), new Set(['content-length']), 'with a Content-Length, not chunked');
});

t.test('the mirror catches up when the upstream moved behind the gateway\'s back', async (t) => {
  const clone = join(harness.root, 'work', 'clone-v0');
  const upstreamGitDir = join(projectRoot, 'demo/hello.git');
  await git.ok(['fetch', '-q', 'origin'], clone);
  await git.ok(['checkout', '-q', '-B', 'main', 'origin/main'], clone);
  writeFileSync(join(clone, 'direct.txt'), 'pushed straight to the upstream\n');
  await git.ok(['add', 'direct.txt'], clone);
  await git.ok(['commit', '-q', '-m', 'Direct change'], clone);
  await git.ok(['push', '-q', upstreamGitDir, 'HEAD:main'], clone); // not through the gateway: the mirror is now behind
  writeFileSync(join(clone, 'after.txt'), 'then through the gateway\n');
  await git.ok(['add', 'after.txt'], clone);
  await git.ok(['commit', '-q', '-m', 'Change on top'], clone);
  await git.ok(['fetch', '-q', 'origin'], clone);
  const push = await git.run(['push', 'origin', 'HEAD:main'], clone);
  t.equal(push.code, 0, push.stderr);
  const head = (await git.ok(['rev-parse', 'HEAD'], clone)).trim();
  t.equal((await git.ok(['--git-dir', upstreamGitDir, 'rev-parse', 'main'], harness.root)).trim(), head);
});
