import t from 'tap';
import { fakeGithubToken } from '../secrets/test-helpers.js';
import { GATEWAY_TOKEN_ENV, startApiHarness, type ApiHarness } from './github-api-test-harness.js';

let h: ApiHarness;
t.before(async () => {
  h = await startApiHarness();
});
t.teardown(() => h.close());

const upstreamToken = () => fakeGithubToken(99);
const reached = (method: string, suffix: string) => h.github.requests.filter((r) => r.method === method && r.path.endsWith(suffix));

t.test('a read is forwarded with the gateway credential, never the agent token', async (t) => {
  const response = await h.call('GET', '/repos/acme/app');
  t.equal(response.status, 200);
  const body = (await response.json()) as { full_name: string };
  t.equal(body.full_name, 'acme/app');
  t.match(response.headers.get('x-ratelimit-limit'), '5000', 'rate-limit headers pass through');
  t.ok(response.headers.get('x-ratelimit-remaining'));
  t.ok(response.headers.get('etag'));
  const seen = h.github.requests.at(-1)!;
  t.equal(seen.auth, 'token');
  t.equal(seen.authorization, `Bearer ${upstreamToken()}`);
  t.notOk(h.github.requests.some((r) => r.authorization?.includes(h.gateway.token)), 'the agent token never reaches GitHub');
});

t.test('a contents response carrying a secret is masked, plain and base64', async (t) => {
  const plain = await h.call('GET', '/repos/acme/app/contents/config/settings.py');
  t.equal(plain.status, 200);
  const text = await plain.text();
  t.notMatch(text, h.plantedSecret);
  const file = JSON.parse(text) as { content: string; encoding: string; path: string };
  t.equal(file.path, 'config/settings.py');
  const decoded = Buffer.from(file.content.replace(/\n/g, ''), 'base64').toString('utf8');
  t.notMatch(decoded, h.plantedSecret, 'the base64 content is decoded, masked and re-encoded');
  t.match(decoded, /GITHUB_TOKEN = "\[REDACTED:[a-z0-9-]+\]"/);
  t.match(decoded, 'DEBUG = False', 'the rest of the file is intact');
  t.match(file.content, /^([A-Za-z0-9+/=]{1,60}\n)+$/, 'still wrapped at 60 characters like GitHub');
  const clean = (await (await h.call('GET', '/repos/acme/app/contents/README.md')).json()) as { content: string };
  t.equal(Buffer.from(clean.content, 'base64').toString(), '# app\n', 'content without secrets is byte-identical');
});

t.test('raw file contents (application/vnd.github.raw) are masked too; HEAD gets headers only', async (t) => {
  const raw = await h.call('GET', '/repos/acme/app/contents/config/settings.py', { headers: { accept: 'application/vnd.github.raw' } });
  t.equal(raw.status, 200);
  t.match(raw.headers.get('content-type'), 'application/vnd.github.raw');
  const text = await raw.text();
  t.notMatch(text, h.plantedSecret);
  t.match(text, /^DEBUG = False\nGITHUB_TOKEN = "\[REDACTED:[a-z0-9-]+\]"\n$/);
  const head = await h.call('HEAD', '/repos/acme/app/contents/README.md');
  t.equal(head.status, 200);
  t.ok(head.headers.get('etag'));
  t.equal((await head.arrayBuffer()).byteLength, 0);
});

t.test('pagination: Link headers (GitHub names the repository by id there) point at the gateway and every page comes through', async (t) => {
  const seen: number[] = [];
  let next: string | undefined = `${h.apiBase}/repos/acme/app/issues?per_page=3`;
  let pages = 0;
  while (next !== undefined) {
    const response: Response = await fetch(next, { headers: { authorization: `Bearer ${h.gateway.token}` } });
    t.equal(response.status, 200);
    const link = response.headers.get('link');
    if (link !== null) t.notMatch(link, h.github.baseUrl, 'no upstream URL leaks in Link');
    seen.push(...((await response.json()) as { number: number }[]).map((i) => i.number));
    next = link === null ? undefined : /<([^>]+)>; rel="next"/.exec(link)?.[1];
    if (next !== undefined) t.ok(next.startsWith(`${h.apiBase}/repos/acme/app/issues?`), `next page through the gateway, by repository name: ${next}`);
    pages += 1;
  }
  t.equal(pages, 3);
  t.same(seen, [1, 2, 3, 4, 5, 6, 7]);
});

t.test('conditional requests: If-None-Match gets 304 with the ETag', async (t) => {
  const first = await h.call('GET', '/repos/acme/app/pulls/1');
  const etag = first.headers.get('etag');
  t.ok(etag);
  await first.arrayBuffer();
  const second = await h.call('GET', '/repos/acme/app/pulls/1', { headers: { 'if-none-match': etag! } });
  t.equal(second.status, 304);
  t.equal(second.headers.get('etag'), etag);
  t.equal((await second.arrayBuffer()).byteLength, 0);
});

t.test('an unconfigured repository is refused before GitHub is asked', async (t) => {
  const before = h.github.requests.length;
  const response = await h.call('GET', '/repos/other/secret-project');
  t.equal(response.status, 404);
  const body = (await response.json()) as { message: string; documentation_url: string };
  t.match(body.message, 'repository other/secret-project is not served here');
  t.ok(body.documentation_url);
  const outside = await h.call('GET', '/search/code?q=password');
  t.equal(outside.status, 404);
  t.match(((await outside.json()) as { message: string }).message, 'configured repositories only');
  t.equal(h.github.requests.length, before, 'nothing reached GitHub');
});

t.test('a bad token gets 401 in GitHub error shape', async (t) => {
  const response = await h.call('GET', '/repos/acme/app', { token: 'ggt_not-a-real-token' });
  t.equal(response.status, 401);
  const body = (await response.json()) as { message: string; documentation_url: string };
  t.match(body.message, 'not valid');
  t.ok(body.documentation_url);
  const missing = await fetch(`${h.apiBase}/repos/acme/app`);
  t.equal(missing.status, 401);
});

t.test('repository deletion is denied and never reaches GitHub', async (t) => {
  const response = await h.call('DELETE', '/repos/acme/app');
  t.equal(response.status, 403);
  const body = (await response.json()) as { message: string; documentation_url: string; gitgate: { code: string } };
  t.match(body.message, 'API_REPOSITORY_DELETE');
  t.equal(body.gitgate.code, 'API_POLICY_DENIED');
  t.equal(reached('DELETE', '/repos/acme/app').length, 0);
});

t.test('a branch-protection change is denied', async (t) => {
  const response = await h.call('PUT', '/repos/acme/app/branches/main/protection', { body: { required_status_checks: null, enforce_admins: false, required_pull_request_reviews: null, restrictions: null } });
  t.equal(response.status, 403);
  t.match(((await response.json()) as { message: string }).message, 'API_BRANCH_PROTECTION_CHANGE');
  t.equal(reached('PUT', '/protection').length, 0);
  const read = await h.call('GET', '/repos/acme/app/branches/main/protection');
  t.equal(read.status, 200, 'reading the protection is allowed');
});

t.test('a contents write carrying a secret is blocked; a clean one goes through', async (t) => {
  const secret = fakeGithubToken(3);
  const content = Buffer.from(`API_KEY = "${secret}"\n`).toString('base64');
  const blocked = await h.call('PUT', '/repos/acme/app/contents/src/keys.py', { body: { message: 'add keys', content, branch: 'feature/x' } });
  t.equal(blocked.status, 403);
  const text = await blocked.text();
  t.notMatch(text, secret, 'the secret is not echoed');
  t.match(text, 'SECRET_DETECTED');
  t.match(text, 'src/keys.py:1');
  t.equal(reached('PUT', '/contents/src/keys.py').length, 0);

  const blob = await h.call('POST', '/repos/acme/app/git/blobs', { body: { content: `token=${secret}\n`, encoding: 'utf-8' } });
  t.equal(blob.status, 403, 'a git blob with a secret is blocked too');
  await blob.arrayBuffer();

  const clean = await h.call('PUT', '/repos/acme/app/contents/docs/notes.md', { body: { message: 'notes', content: Buffer.from('hello\n').toString('base64'), branch: 'feature/x' } });
  t.equal(clean.status, 201);
  t.equal(((await clean.json()) as { content: { path: string } }).content.path, 'docs/notes.md');
  t.equal(h.github.repository('acme/app').files.get('feature/x')!.get('docs/notes.md')!.toString(), 'hello\n');
});

t.test('a secret posted in an issue comment is blocked; CI definitions through the git database API wait for ci-review', async (t) => {
  const secret = fakeGithubToken(8);
  const comment = await h.call('POST', '/repos/acme/app/issues/1/comments', { body: { body: `try with ${secret}` } });
  t.equal(comment.status, 403);
  const text = await comment.text();
  t.match(text, 'SECRET_DETECTED');
  t.match(text, '(issue comment body)');
  t.notMatch(text, secret);
  t.notOk(h.github.requests.some((r) => r.body.includes(secret)), 'the secret never reached GitHub');
  const tree = await h.call('POST', '/repos/acme/app/git/trees', { body: { base_tree: 'a'.repeat(40), tree: [{ path: '.github/workflows/deploy.yml', mode: '100644', type: 'blob', content: 'on: push\n' }] } });
  t.equal(tree.status, 202);
  t.match(((await tree.json()) as { message: string }).message, 'ci-review');
  t.notOk(h.github.requests.some((r) => r.path.endsWith('/git/trees')));
});

t.test('a merge into a feature branch is allowed, pinned to the head the policy saw', async (t) => {
  const repo = h.github.repository('acme/app');
  const head = repo.pulls.get(2)!.headSha;
  const response = await h.call('PUT', '/repos/acme/app/pulls/2/merge', { body: { merge_method: 'squash' } });
  t.equal(response.status, 200);
  t.same(((await response.json()) as { merged: boolean }).merged, true);
  const merge = reached('PUT', '/pulls/2/merge').at(-1)!;
  t.same(JSON.parse(merge.body), { merge_method: 'squash', sha: head });
  t.ok(reached('GET', '/pulls/2').length > 0, 'the gateway read the pull request itself');
});

t.test('unknown routes: writes denied, reads forwarded', async (t) => {
  const write = await h.call('POST', '/repos/acme/app/some/new/thing', { body: {} });
  t.equal(write.status, 403);
  t.match(((await write.json()) as { message: string }).message, 'API_UNKNOWN_ROUTE');
  const read = await h.call('GET', '/repos/acme/app/some/new/thing');
  t.equal(read.status, 404, "GitHub's own 404 comes back");
  t.match(((await read.json()) as { message: string }).message, 'Not Found');
});

t.test('bad input is refused clearly and the gateway keeps serving', async (t) => {
  const badJson = await fetch(`${h.apiBase}/repos/acme/app/issues/1/comments`, { method: 'POST', headers: { authorization: `Bearer ${h.gateway.token}`, 'content-type': 'application/json' }, body: '{nope' });
  t.equal(badJson.status, 400);
  t.match(((await badJson.json()) as { message: string }).message, 'Problems parsing JSON');
  const slash = await h.call('GET', '/repos/acme%2Fapp/contents/x');
  t.equal(slash.status, 400, 'an encoded slash could make gitgate and GitHub read the path differently');
  t.match(((await slash.json()) as { message: string }).message, 'not allowed');
  const after = await h.call('POST', '/repos/acme/app/issues/1/comments', { body: { body: 'looks good' } });
  t.equal(after.status, 201);
});

t.test("GitHub refusing the gateway's own credential is a 502 that says so, not the agent's 401", async (t) => {
  const saved = process.env[GATEWAY_TOKEN_ENV];
  process.env[GATEWAY_TOKEN_ENV] = fakeGithubToken(1234);
  try {
    const response = await h.call('GET', '/repos/acme/app');
    t.equal(response.status, 502);
    t.match(((await response.json()) as { message: string }).message, "GitHub refused gitgate's credential (HTTP 401), not yours");
  } finally {
    process.env[GATEWAY_TOKEN_ENV] = saved;
  }
  t.equal((await h.call('GET', '/repos/acme/app')).status, 200);
});

t.test('the credential never appears in logs or responses; every call is logged', async (t) => {
  const logs = h.gateway.logs();
  t.notMatch(logs, upstreamToken());
  t.notMatch(logs, fakeGithubToken(1234));
  t.notMatch(logs, h.plantedSecret);
  t.notMatch(logs, h.gateway.token);
  const calls = logs.split('\n').filter((l) => l.includes('"GitHub API call"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(calls.length >= 10);
  t.ok(calls.some((c) => c['route'] === '/repos/{owner}/{repo}/pulls/{pull_number}/merge' && c['decision'] === 'allow' && c['status'] === 200));
  t.ok(calls.some((c) => c['route'] === '/repos/{owner}/{repo}' && c['decision'] === 'deny' && c['status'] === 403));
});
