import t from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiHarness, type ApiHarness } from './github-api-test-harness.js';
import { makeSelfSignedCertificate } from '../../testdata/self-signed-certificate.js';

/**
 * The real GitHub CLI against the gateway: gh treats any host but github.com as GitHub Enterprise
 * Server (https://<host>/api/v3, token from GH_ENTERPRISE_TOKEN), so the gateway serves the API
 * under /api/v3 over TLS with a certificate gh trusts through SSL_CERT_FILE.
 * gh comes from Debian (scripts/ci/install-system-deps.sh).
 */
interface GhResult {
  code: number;
  stdout: string;
  stderr: string;
}

let h: ApiHarness;
let env: NodeJS.ProcessEnv;

t.before(async () => {
  execFileSync('gh', ['--version'], { stdio: 'ignore' }); // fails the file clearly when gh is missing
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-gh-'));
  const { certFile: cert, keyFile: key } = makeSelfSignedCertificate(dir, 'gateway');
  h = await startApiHarness({ githubApi: { prefix: '/api/v3' }, extraConfig: { tls: { cert_file: cert, key_file: key } } });
  env = {
    PATH: process.env['PATH'],
    HOME: dir,
    GH_CONFIG_DIR: join(dir, 'gh-config'),
    GH_HOST: new URL(h.gateway.gateway.url).host,
    GH_ENTERPRISE_TOKEN: h.gateway.token,
    SSL_CERT_FILE: cert,
    GH_PROMPT_DISABLED: '1',
    GH_NO_UPDATE_NOTIFIER: '1',
    NO_COLOR: '1',
  };
});
t.teardown(() => h?.close());

function gh(args: string[]): Promise<GhResult> {
  return new Promise((resolve) => {
    execFile('gh', args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

t.test('gh api reads through the gateway, masked', async (t) => {
  const result = await gh(['api', 'repos/acme/app/contents/config/settings.py']);
  t.equal(result.code, 0, result.stderr);
  const file = JSON.parse(result.stdout) as { content: string };
  const text = Buffer.from(file.content, 'base64').toString();
  t.notMatch(text, h.plantedSecret);
  t.match(text, /GITHUB_TOKEN = "\[REDACTED:/);
  t.ok(h.github.requests.some((r) => r.path === '/repos/acme/app/contents/config/settings.py' && r.auth === 'token'));
});

t.test('gh api --paginate follows the rewritten Link headers through the gateway', async (t) => {
  const result = await gh(['api', '--paginate', 'repos/acme/app/issues?per_page=3', '--jq', '.[].number']);
  t.equal(result.code, 0, result.stderr);
  t.same(result.stdout.trim().split('\n').map(Number), [1, 2, 3, 4, 5, 6, 7]);
});

t.test('gh api: a denied call shows gitgate\'s message and fails', async (t) => {
  const result = await gh(['api', '-X', 'DELETE', 'repos/acme/app']);
  t.not(result.code, 0);
  t.match(result.stdout + result.stderr, 'API_REPOSITORY_DELETE');
  t.match(result.stderr, 'HTTP 403');
  t.notOk(h.github.requests.some((r) => r.method === 'DELETE'));
});

t.test('gh api merges a pull request into a feature branch, pinned to the head gitgate checked', async (t) => {
  const head = h.github.repository('acme/app').pulls.get(2)!.headSha;
  const result = await gh(['api', '-X', 'PUT', 'repos/acme/app/pulls/2/merge', '-f', 'merge_method=squash']);
  t.equal(result.code, 0, result.stderr);
  t.equal((JSON.parse(result.stdout) as { merged: boolean }).merged, true);
  const merge = h.github.requests.find((r) => r.method === 'PUT' && r.path === '/repos/acme/app/pulls/2/merge')!;
  t.same(JSON.parse(merge.body), { merge_method: 'squash', sha: head });
});

t.test('gh api: a merge into the protected main waits for approval and answers 202 with the approval URL', async (t) => {
  const result = await gh(['api', '-X', 'PUT', 'repos/acme/app/pulls/1/merge']);
  t.equal(result.code, 0, '202 is a success for gh');
  const body = JSON.parse(result.stdout) as { gitgate: { code: string; approval_url: string } };
  t.equal(body.gitgate.code, 'API_APPROVAL_PENDING');
  t.match(body.gitgate.approval_url, /^https:\/\/127\.0\.0\.1:\d+\/ui\/approvals\/apr_/);
  t.notOk(h.github.requests.some((r) => r.method === 'PUT' && r.path === '/repos/acme/app/pulls/1/merge'));
});
