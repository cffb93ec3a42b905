import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAppKeyPair } from '../../testdata/fake-github/fake-github-auth.js';
import { startFakeGitHub } from '../../testdata/fake-github/fake-github-server.js';
import { builtinScanner } from '../secrets/test-helpers.js';
import { SecretMasker } from '../secrets/index.js';
import { defaultRepositories, startApiHarness, type ApiHarness } from './github-api-test-harness.js';
import { GitHubUpstream } from './github-upstream.js';
import { GitHubAppCredential } from './upstream-credential.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const APP_ID = '4242';
const INSTALLATION = 77;

function keyFile(pem: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gitgate-app-')), 'app.pem');
  writeFileSync(path, pem, { mode: 0o600 });
  return path;
}

t.test('through the gateway: installation tokens minted with a real RS256 JWT, scoped, cached, refreshed before expiry', async (t) => {
  const { privateKeyPem, publicKey } = generateAppKeyPair();
  const h: ApiHarness = await startApiHarness({
    fake: { app: { appId: APP_ID, publicKey, installationId: INSTALLATION, repositories: ['acme/app'], tokenLifetimeSeconds: 3 } },
    credential: { app: { app_id: Number(APP_ID), private_key_file: keyFile(privateKeyPem), refresh_before_expiry_seconds: 1 } },
  });
  t.teardown(() => h.close());
  const tokens = h.github.tokens!;

  const first = await h.call('GET', '/repos/acme/app');
  t.equal(first.status, 200);
  await first.arrayBuffer();
  t.equal(tokens.exchanges, 1, 'one token exchange');
  const lookup = h.github.requests.find((r) => r.path === '/repos/acme/app/installation');
  t.equal(lookup?.auth, 'jwt', 'the installation was found with the app JWT');
  const exchange = h.github.requests.find((r) => r.path === `/app/installations/${INSTALLATION}/access_tokens`)!;
  t.equal(exchange.auth, 'jwt', "the fake verified the JWT with the app's public key");
  t.same(JSON.parse(exchange.body), { repositories: ['app'] }, 'scoped to the repository being accessed');
  const issued = tokens.all()[0]!;
  t.same(issued.repositories, ['acme/app']);
  t.equal(h.github.requests.at(-1)!.auth, 'installation');
  t.equal(h.github.requests.at(-1)!.authorization, `Bearer ${issued.token}`);

  const second = await h.call('GET', '/repos/acme/app/pulls/1');
  await second.arrayBuffer();
  t.equal(second.status, 200);
  t.equal(tokens.exchanges, 1, 'the cached token is reused');

  await sleep(2200); // the token has under a second left: inside refresh_before_expiry_seconds
  const third = await h.call('GET', '/repos/acme/app/branches/main');
  await third.arrayBuffer();
  t.equal(third.status, 200);
  t.equal(tokens.exchanges, 2, 'refreshed before it expired');
  const refreshed = tokens.all()[1]!;
  t.not(refreshed.token, issued.token);
  t.equal(h.github.requests.at(-1)!.authorization, `Bearer ${refreshed.token}`);

  tokens.revoke(refreshed.token);
  const afterRevoke = await h.call('GET', '/repos/acme/app/branches/main');
  await afterRevoke.arrayBuffer();
  t.equal(afterRevoke.status, 200, 'a token GitHub refuses is replaced and the call sent again');
  t.equal(tokens.exchanges, 3);

  await sleep(1000);
  const stale = await fetch(`${h.github.baseUrl}/repos/acme/app`, { headers: { authorization: `token ${issued.token}` } });
  t.equal(stale.status, 401, 'the fake refuses an expired installation token, as GitHub does');
  t.same(((await stale.json()) as { message: string }).message, 'Bad credentials');

  const logs = h.gateway.logs();
  for (const token of tokens.all()) t.notMatch(logs, token.token, 'installation tokens never logged');
  t.notMatch(logs, 'BEGIN RSA PRIVATE KEY');
});

t.test('a wrong private key: GitHub refuses the JWT and the call fails closed with a clear message', async (t) => {
  const { publicKey } = generateAppKeyPair();
  const wrong = generateAppKeyPair();
  const github = await startFakeGitHub({ repositories: defaultRepositories('x'), app: { appId: APP_ID, publicKey, installationId: INSTALLATION, repositories: ['acme/app'], tokenLifetimeSeconds: 3600 } });
  t.teardown(() => github.close());
  const masker = new SecretMasker(builtinScanner());
  const credential = new GitHubAppCredential(
    { appId: APP_ID, privateKey: { kind: 'file', path: keyFile(wrong.privateKeyPem) }, installationId: INSTALLATION, refreshBeforeExpirySeconds: 300 },
    new GitHubUpstream(github.baseUrl, 5000),
    masker,
  );
  await t.rejects(credential.authorization({ owner: 'acme', repo: 'app' }), { code: 'API_CREDENTIAL_UNAVAILABLE', message: /GitHub refused gitgate an installation token \(HTTP 401/ });
  t.equal(github.tokens!.exchanges, 0);
});

t.test('concurrent calls share one exchange; a refused token is forgotten', async (t) => {
  const { privateKeyPem, publicKey } = generateAppKeyPair();
  const github = await startFakeGitHub({ repositories: defaultRepositories('x'), app: { appId: APP_ID, publicKey, installationId: INSTALLATION, repositories: ['acme/app'], tokenLifetimeSeconds: 3600 } });
  t.teardown(() => github.close());
  const credential = new GitHubAppCredential(
    { appId: APP_ID, privateKey: { kind: 'file', path: keyFile(privateKeyPem) }, installationId: INSTALLATION, refreshBeforeExpirySeconds: 300 },
    new GitHubUpstream(github.baseUrl, 5000),
    new SecretMasker(builtinScanner()),
  );
  const headers = await Promise.all([1, 2, 3, 4].map(() => credential.authorization({ owner: 'acme', repo: 'app' })));
  t.equal(new Set(headers).size, 1);
  t.equal(github.tokens!.exchanges, 1);
  credential.refused(headers[0]!);
  const fresh = await credential.authorization({ owner: 'acme', repo: 'app' });
  t.not(fresh, headers[0]);
  t.equal(github.tokens!.exchanges, 2);
  const account = await credential.authorization(undefined);
  t.match(account, /^Bearer ghs_/, 'calls outside a repository get an installation token with metadata read only');
});
