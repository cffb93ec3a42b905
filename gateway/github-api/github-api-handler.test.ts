import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { PolicyEngine } from '../../rego/index.js';
import { resolveConfig } from '../config/load-config.js';
import { TokenStore } from '../identity/token-store.js';
import { pinoMaskingOptions, SecretMasker } from '../secrets/index.js';
import { builtinScanner, fakeGithubToken } from '../secrets/test-helpers.js';
import { startFakeGitHub } from '../../testdata/fake-github/fake-github-server.js';
import { defaultRepositories } from './github-api-test-harness.js';
import { GitHubApiHandler } from './github-api-handler.js';

t.test('without approval service or audit log: approval needed is a 403 saying so; calls are still logged, masked', async (t) => {
  const upstreamToken = fakeGithubToken(41);
  process.env['GITGATE_HANDLER_TEST_TOKEN'] = upstreamToken;
  const secret = fakeGithubToken(42);
  const github = await startFakeGitHub({ tokens: [upstreamToken], repositories: defaultRepositories(secret) });
  t.teardown(() => github.close());
  const root = mkdtempSync(join(tmpdir(), 'gitgate-api-handler-'));
  const config = resolveConfig(
    { upstreams: [{ type: 'http', scheme: 'http', repositories: [`${github.host}/acme/*`] }], github_api: { base_url: github.baseUrl, credential: { token_env: 'GITGATE_HANDLER_TEST_TOKEN' } } },
    root,
    undefined,
  );
  const tokens = new TokenStore(join(root, 'tokens.json'));
  const { token } = tokens.create('agent-7', ['agents']);
  const policy = await PolicyEngine.start({ source: config.policies });
  t.teardown(() => policy.close());
  const scanner = builtinScanner();
  const masker = new SecretMasker(scanner);
  let logs = '';
  const logger = pino({ ...pinoMaskingOptions(masker) }, new Writable({ write: (chunk: Buffer, _e, done) => ((logs += chunk.toString()), done()) }));
  const handler = new GitHubApiHandler({ config, api: config.githubApi!, tokens, oidc: [], policy, scanner, masker, logger });
  t.ok(handler.claims('GET', new URL('http://x/api/github/repos/a/b')));
  t.ok(handler.claims('GET', new URL('http://x/api/github')));
  t.notOk(handler.claims('GET', new URL('http://x/api/githubx/repos')), 'only the prefix as a whole path segment');
  t.notOk(handler.claims('GET', new URL('http://x/acme/app.git/info/refs')));
  const server = createServer((request, response) => void handler.handle(request, response, new URL(request.url ?? '/', 'http://gateway.invalid')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github`;
  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${base}${path}`, { method, headers: { authorization: `token ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  const held = await call('PUT', '/repos/acme/app/pulls/1/merge', {});
  t.equal(held.status, 403);
  const body = (await held.json()) as { message: string; gitgate: { code: string } };
  t.equal(body.gitgate.code, 'API_APPROVAL_REQUIRED');
  t.match(body.message, 'needs approval by production-review (1): merge into the protected branch refs/heads/main');
  t.match(body.message, 'no approval service');
  t.notOk(github.requests.some((r) => r.method === 'PUT'));

  const allowed = await call('PUT', '/repos/acme/app/pulls/2/merge', {});
  t.equal(allowed.status, 200);
  await allowed.arrayBuffer();
  const read = await call('GET', '/repos/acme/app/contents/config/settings.py');
  t.notMatch(await read.text(), secret);

  const lines = logs.split('\n').filter((l) => l.includes('"GitHub API call"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.same(lines.map((l) => [l['method'], l['route'], l['decision'], l['status']]), [
    ['PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', 'approval', 403],
    ['PUT', '/repos/{owner}/{repo}/pulls/{pull_number}/merge', 'allow', 200],
    ['GET', '/repos/{owner}/{repo}/contents/{path}', 'allow', 200],
  ]);
  t.notMatch(logs, upstreamToken);
  t.notMatch(logs, token);
  t.notMatch(logs, secret);
});
