import t from 'tap';
import { join } from 'node:path';
import { resolveConfig } from './load-config.js';

const base = { upstreams: [{ type: 'http', repositories: ['github.com/acme/*'] }] };

t.test('github_api: defaults for api.github.com with a token from the environment', async (t) => {
  const config = resolveConfig({ ...base, github_api: { credential: { token_env: 'GH_TOKEN' } } }, '/etc/gitgate', '/etc/gitgate/gitgate.yaml');
  t.same(config.githubApi, {
    prefix: '/api/github',
    baseUrl: 'https://api.github.com',
    gitHost: 'github.com',
    credential: { kind: 'token', source: { kind: 'env', name: 'GH_TOKEN' } },
    approvalWaitSeconds: 25,
    maxBodyBytes: 32 * 1024 * 1024,
    timeoutSeconds: 30,
    documentationUrl: 'https://gitgate.dev/docs/github-api',
  });
  t.equal(resolveConfig(base, '/etc/gitgate', undefined).githubApi, undefined, 'not served unless configured');
});

t.test('github_api: GitHub Enterprise Server under /api/v3 with a GitHub App', async (t) => {
  const config = resolveConfig(
    { ...base, github_api: { prefix: '/api/v3/', base_url: 'https://ghes.example.com/api/v3/', credential: { app: { app_id: 1234, private_key_file: 'app.pem', installation_id: 9 } } } },
    '/etc/gitgate',
    undefined,
  );
  t.match(config.githubApi, {
    prefix: '/api/v3',
    baseUrl: 'https://ghes.example.com/api/v3',
    gitHost: 'ghes.example.com',
    credential: { kind: 'app', appId: '1234', privateKey: { kind: 'file', path: join('/etc/gitgate', 'app.pem') }, installationId: 9, refreshBeforeExpirySeconds: 300 },
  });
});

t.test('github_api: bad settings name their key', async (t) => {
  t.throws(() => resolveConfig({ ...base, github_api: {} }, '/x', undefined), { code: 'CONFIG_INVALID', message: /github_api\.credential: required/ });
  t.throws(() => resolveConfig({ ...base, github_api: { credential: {} } }, '/x', undefined), { message: /credential\.token: give exactly one of credential\.token_env or credential\.token_file/ });
  t.throws(() => resolveConfig({ ...base, github_api: { credential: { token_env: 'A', app: { app_id: 1, private_key_env: 'K' } } } }, '/x', undefined), { message: /either a token or an app/ });
  t.throws(() => resolveConfig({ ...base, github_api: { credential: { app: { app_id: 1 } } } }, '/x', undefined), { message: /private_key_env or credential\.app\.private_key_file/ });
  t.throws(() => resolveConfig({ ...base, github_api: { base_url: 'ftp://x', credential: { token_env: 'A' } } }, '/x', undefined), { message: /github_api\.base_url/ });
});
