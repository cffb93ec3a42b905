import t from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitClient } from '../e2e/git-client.js';
import { startHarness, type GatewayHarness } from '../e2e/gateway-harness.js';
import { CookieClient } from './web-test-fixtures.js';

// The audit timeline of the UI over a real gateway's audit log: a fetch and a refused push by the
// real git, then the pages an admin sees.
const git = new GitClient();
let harness: GatewayHarness;
let admin: CookieClient;

t.before(async () => {
  harness = await startHarness();
  const work = join(harness.root, 'clone');
  await git.ok(['clone', '-q', harness.remote('demo/hello'), work], harness.root);
  await git.ok(['-c', 'user.name=A', '-c', 'user.email=a@example.com', 'commit', '-q', '--allow-empty', '-m', 'x'], work);
  await git.run(['push', '--force', 'origin', 'HEAD~2:main'], work); // refused: rewrites protected main
  admin = new CookieClient(harness.gateway.url);
  await admin.signInWithToken(harness.gateway.tokens.create('sec-team', ['gitgate-admins'], 'human').token);
});
t.teardown(() => harness.close());

t.test('timeline: every request with identity, repository and decision; the chain verified', async (t) => {
  const response = await admin.request('/ui/audit');
  t.equal(response.status, 200);
  const html = await response.text();
  t.match(html, /<strong>Chain verified<\/strong>: \d+ events in 1 segment\(s\)/);
  t.match(html, /<td>push<\/td><td>agent-1<\/td><td>demo\/hello<\/td><td>deny<\/td>/);
  t.match(html, /<td>fetch<\/td><td>agent-1<\/td><td>demo\/hello<\/td><td>allow<\/td>/);
  t.match(html, /<label for="decision">Decision<\/label>/);
});

t.test('filters by decision, identity, repository and time; a bad time is explained', async (t) => {
  const denied = await (await admin.request('/ui/audit?decision=deny')).text();
  t.match(denied, /<td>push<\/td>/);
  t.notMatch(denied, /<td>fetch<\/td>/);
  t.notMatch(await (await admin.request('/ui/audit?identity=nobody')).text(), /<td>push<\/td>/);
  t.notMatch(await (await admin.request('/ui/audit?repository=other%2Frepo')).text(), /<td>push<\/td>/);
  t.notMatch(await (await admin.request(`/ui/audit?since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).text(), /<td>push<\/td>/);
  const bad = await admin.request('/ui/audit?since=yesterday');
  t.equal(bad.status, 400);
  t.match(await bad.text(), /not a time: yesterday/);
});

t.test("a request's page lists all its events in order", async (t) => {
  const timeline = await (await admin.request('/ui/audit?decision=deny')).text();
  const id = /href="\/ui\/audit\/requests\/([^"]+)"/.exec(timeline)![1]!;
  const page = await (await admin.request(`/ui/audit/requests/${id}`)).text();
  const types = [...page.matchAll(/<h2 class="mono">#\d+ ([a-z.]+)<\/h2>/g)].map((m) => m[1]);
  t.same(types.slice(0, 3), ['request.received', 'authentication', 'policy.decision']);
  t.match(page, /PROTECTED_REF_FORCE_PUSH/);
  t.equal((await admin.request('/ui/audit/requests/nope')).status, 404);
  t.equal((await admin.request('/ui/audit/requests/%E0%A4%A')).status, 404, 'a malformed id is not an error');
});

t.test('only gitgate-admins see the audit log', async (t) => {
  const approver = new CookieClient(harness.gateway.url);
  await approver.signInWithToken(harness.gateway.tokens.create('bob', ['production-review'], 'human').token);
  t.equal((await approver.request('/ui/audit')).status, 403);
  t.notMatch(await (await approver.request('/ui')).text(), /href="\/ui\/audit"/);
});

t.test('a tampered chain is shown as failed, naming the first bad event', async (t) => {
  const other = await startHarness();
  t.teardown(() => other.close());
  await git.ok(['ls-remote', other.remote('demo/hello')], other.root);
  const dir = join(other.config.dataDir, 'audit', 'segments');
  const segment = join(dir, readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort()[0]!);
  const lines = readFileSync(segment, 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes('"demo/hello"'));
  t.ok(index >= 0);
  const seq = (JSON.parse(lines[index]!) as { seq: number }).seq;
  lines[index] = lines[index]!.replace('"demo/hello"', '"demo/hellp"'); // same length, edited in place
  writeFileSync(segment, lines.join('\n'));
  const client = new CookieClient(other.gateway.url);
  await client.signInWithToken(other.gateway.tokens.create('sec-team', ['gitgate-admins'], 'human').token);
  const html = await (await client.request('/ui/audit')).text();
  t.match(html, new RegExp(`<strong>Chain verification FAILED</strong>: \\d+ problem\\(s\\); the first bad event is ${seq} `));
});
