import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, loadConfigFile, readCredentialSecret, resolveConfig } from './load-config.js';

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-config-'));
  const path = join(dir, 'gitgate.yaml');
  writeFileSync(path, text);
  return path;
}

t.test('a full config resolves paths next to the file and applies defaults', async (t) => {
  const path = configFile(
    [
      'listen: { host: 0.0.0.0, port: 9418 }',
      'data_dir: state',
      'policies: { data: { gitgate: { config: { protected_refs: [refs/heads/trunk] } } } }',
      'upstreams:',
      '  - type: file',
      '    path: repos',
      '  - type: http',
      '    name: github',
      '    repositories: ["github.com/acme/*"]',
      '    credential: { username: x-access-token, password_env: GH_TOKEN }',
    ].join('\n'),
  );
  const config = loadConfigFile(path);
  const dir = join(path, '..');
  t.same(config.listen, { host: '0.0.0.0', port: 9418 });
  t.equal(config.dataDir, join(dir, 'state'));
  t.equal(config.tokensFile, join(dir, 'gitgate-tokens.json'));
  t.same(config.oidc, []);
  t.same(config.policyData, { gitgate: { config: { protected_refs: ['refs/heads/trunk'] } } });
  t.match(config.upstreams[0], { type: 'file', path: join(dir, 'repos') });
  t.match(config.upstreams[1], { type: 'http', name: 'github', scheme: 'https', defaultBranch: 'main', credential: { username: 'x-access-token', source: { kind: 'env', name: 'GH_TOKEN' } } });
});

t.test('the embedded defaults: a file upstream in .gitgate-data, the shipped policies', async (t) => {
  const config = defaultConfig('/srv/x');
  t.equal(config.source, undefined);
  t.equal(config.dataDir, '/srv/x/.gitgate-data');
  t.match(config.upstreams, [{ type: 'file', path: '/srv/x/.gitgate-data/repositories' }]);
  t.equal(config.policies.kind, 'directory');
  t.match(config.policies.path, /policies$/);
  t.same(config.listen, { host: '127.0.0.1', port: 8080 });
});

t.test('errors name the bad key', async (t) => {
  const cases: [unknown, RegExp][] = [
    [{ listen: { port: 'x' } }, /listen\.port: must be integer/],
    [{ listne: {} }, /listne: unknown key/],
    [{ upstreams: [{ type: 'ftp' }] }, /upstreams\[0\]\.type: must be "file" or "http"/],
    [{ upstreams: [{ type: 'file' }] }, /upstreams\[0\]\.path: required/],
    [{ upstreams: [{ type: 'http', repositories: ['github.com/acme/*'], credential: { username: 'u', pasword_env: 'X' } }] }, /upstreams\[0\]\.credential\.pasword_env: unknown key/],
    [{ upstreams: [{ type: 'http', repositories: ['github.com/acme/*'], credential: { username: 'u' } }] }, /upstreams\[0\]\.credential: give exactly one of password_env or password_file/],
    [{ upstreams: [{ type: 'http', repositories: ['bad pattern'] }] }, /upstreams\[0\]\.repositories\[0\]: must match pattern/],
    [{ tls: { cert_file: 'cert.pem' } }, /tls\.key_file: required/],
    [{ identity: { oidc: [{ issuer: 'https://issuer.example' }] } }, /identity\.oidc\[0\]\.audience: required/],
    [{ identity: { oidc: [{ issuer: 'https://issuer.example', audience: 'g', algorithms: ['HS256'] }] } }, /identity\.oidc\[0\]\.algorithms\[0\]: must be one of RS256/],
    [{ secrets: { archives: { max_entry_bytes: 0 } } }, /secrets\.archives\.max_entry_bytes: must be >= 1/],
    [{ secrets: { archives: { max_entrys: 5 } } }, /secrets\.archives\.max_entrys: unknown key/],
  ];
  for (const [document, message] of cases) {
    t.throws(() => resolveConfig(document, '/tmp', 'gitgate.yaml'), message);
  }
});

t.test('the archive limits of the secret scan: those set, the others left to their defaults', async (t) => {
  t.same(resolveConfig({}, '/tmp', 'gitgate.yaml').secrets.archives, {});
  const config = resolveConfig({ secrets: { archives: { max_entry_bytes: 268435456, max_entries: 50000 } } }, '/tmp', 'gitgate.yaml');
  t.same(config.secrets.archives, { maxEntryBytes: 268435456, maxEntries: 50000 });
});

t.test('invalid YAML and a missing file have their own codes', async (t) => {
  t.throws(() => loadConfigFile(configFile('listen: [')), { code: 'CONFIG_INVALID_YAML' });
  t.throws(() => loadConfigFile('/nonexistent/gitgate.yaml'), { code: 'CONFIG_NOT_FOUND' });
});

t.test('credentials are read from env or file only when used, and errors do not contain them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-cred-'));
  writeFileSync(join(dir, 'token'), 'file-secret-value\n');
  t.equal(readCredentialSecret({ username: 'u', source: { kind: 'file', path: join(dir, 'token') } }), 'file-secret-value');
  process.env['GITGATE_TEST_CRED'] = 'env-secret-value';
  t.equal(readCredentialSecret({ username: 'u', source: { kind: 'env', name: 'GITGATE_TEST_CRED' } }), 'env-secret-value');
  t.throws(() => readCredentialSecret({ username: 'u', source: { kind: 'env', name: 'GITGATE_TEST_UNSET' } }), { code: 'CONFIG_CREDENTIAL_UNAVAILABLE' });
});
