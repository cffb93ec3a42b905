import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { GitClient } from '../e2e/git-client.js';
import { startHarness, type GatewayHarness } from '../e2e/gateway-harness.js';
import { requestEvents } from '../audit/index.js';
import { fakeGithubToken } from '../secrets/test-helpers.js';
import { capturedIO } from './captured-io.js';
import { allCommands } from './commands.js';
import { runCli } from './run.js';

const git = new GitClient();
let harness: GatewayHarness;
let work: string;
let configFile: string;
let allowedPush: string;
let deniedPush: string;

async function cli(...argv: string[]) {
  const io = capturedIO();
  const code = await runCli([...argv, '--config', configFile], allCommands, io);
  return { code, out: io.out, err: io.err };
}

async function lastRequestOf(type: 'upstream.forward' | 'policy.decision'): Promise<string> {
  const { listAuditEvents } = await import('../audit/index.js');
  return (await listAuditEvents(harness.gateway.audit.store, { type })).at(-1)!.request_id!;
}

t.before(async () => {
  harness = await startHarness();
  // The same settings as the harness, as a file the CLI reads.
  configFile = join(harness.root, 'gitgate.yaml');
  writeFileSync(configFile, 'listen: { host: 127.0.0.1, port: 0 }\ndata_dir: data\nupstreams:\n  - { type: file, name: local, path: upstream }\n');
  work = await git.cloneAsAgent(harness.remote('demo/hello'), join(harness.root, 'work', 'clone'));
  writeFileSync(join(work, 'NOTES.md'), 'notes\n');
  await git.ok(['add', '.'], work);
  await git.ok(['commit', '-q', '-m', 'Add notes'], work);
  await git.ok(['push', '-q', 'origin', 'main'], work);
  allowedPush = await lastRequestOf('upstream.forward');
  for (let i = 0; i < 200 && !(await requestEvents(harness.gateway.audit.store, allowedPush)).some((e) => e.type === 'upstream.result'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  writeFileSync(join(work, 'deploy.env'), `TOKEN=${fakeGithubToken(3)}\n`);
  await git.ok(['add', '.'], work);
  await git.ok(['commit', '-q', '-m', 'Add deploy settings'], work);
  t.not((await git.run(['push', '-q', 'origin', 'main'], work)).code, 0);
  deniedPush = await lastRequestOf('policy.decision');
  await harness.gateway.audit.log.flush();
});
t.teardown(() => harness.close());

t.test('audit list filters by repository, identity, decision and time', async (t) => {
  const all = await cli('audit', 'list', '--json');
  t.equal(all.code, 0, all.err);
  const rows = all.out.trim().split('\n').map((l) => JSON.parse(l));
  t.ok(rows.some((r) => r.request_id === allowedPush && r.kind === 'push' && r.decision === 'allow' && r.landed.includes('refs/heads/main')));
  const denied = (await cli('audit', 'list', '--json', '--decision', 'deny')).out.trim().split('\n').map((l) => JSON.parse(l));
  t.same(denied.map((r) => r.request_id), [deniedPush]);
  t.equal((await cli('audit', 'list', '--json', '--repo', 'other/repo')).out, '');
  t.ok((await cli('audit', 'list', '--json', '--identity', 'agent-1')).out.includes(allowedPush));
  t.equal((await cli('audit', 'list', '--json', '--since', '2099-01-01T00:00:00Z')).out, '');
  t.ok((await cli('audit', 'list', '--since', '1h')).out.includes(deniedPush), 'text output, relative time');
  const bad = await cli('audit', 'list', '--decision', 'maybe');
  t.equal(bad.code, 2);
  t.match(bad.err, /--decision must be allow, deny or approval/);
});

t.test('audit show prints the events of one request', async (t) => {
  const shown = await cli('audit', 'show', allowedPush);
  t.equal(shown.code, 0);
  for (const type of ['request.received', 'authentication', 'policy.decision', 'upstream.forward', 'upstream.result']) t.match(shown.out, type);
  const missing = await cli('audit', 'show', 'no-such-request');
  t.equal(missing.code, 1);
  t.match(missing.err, /no events of request no-such-request/);
});

t.test('audit replay shows the recorded decision beside today\'s and a given policy', async (t) => {
  const same = await cli('audit', 'replay', deniedPush);
  t.equal(same.code, 0, same.err);
  t.match(same.out, /recorded .*\n\s+allow: false\n\s+deny SECRET/);
  t.match(same.out, /same decision/);
  const permissive = join(harness.root, 'permissive');
  mkdirSync(permissive);
  for (const kind of ['push', 'fetch', 'api']) writeFileSync(join(permissive, `${kind}.rego`), `package gitgate.${kind}\n\nimport rego.v1\n\nallow := true\n`);
  const whatIf = await cli('audit', 'replay', deniedPush, '--policy', permissive, '--json');
  t.equal(whatIf.code, 0, whatIf.err);
  const row = JSON.parse(whatIf.out.trim());
  t.equal(row.recorded.result.allow, false);
  t.equal(row.replayed.result.allow, true);
  t.equal(row.same, false);
});

t.test('audit materialize rebuilds the push for git log', async (t) => {
  const target = join(harness.root, 'rebuilt');
  const result = await cli('audit', 'materialize', allowedPush, target);
  t.equal(result.code, 0, result.err);
  t.match(await git.ok(['--git-dir', target, 'log', '--format=%s', 'refs/heads/main'], harness.root), /^Add notes\n/);
  const refused = await cli('audit', 'materialize', deniedPush, join(harness.root, 'nothing'));
  t.equal(refused.code, 1);
  t.match(refused.err, /forwarded no push/);
});

t.test('audit export writes JSONL since a time', async (t) => {
  const exported = await cli('audit', 'export', '--since', '1h');
  t.equal(exported.code, 0);
  const events = exported.out.trim().split('\n').map((l) => JSON.parse(l));
  t.ok(events.length > 10);
  t.same(events.map((e) => e.seq), events.map((_, i) => events[0].seq + i), 'in chain order');
  t.equal((await cli('audit', 'export')).code, 2, '--since is required');
});

t.test('audit verify: OK, then exit 1 naming the event after an edit', async (t) => {
  await harness.gateway.audit.log.checkpoint();
  const ok = await cli('audit', 'verify', '--packs');
  t.equal(ok.code, 0, ok.err);
  t.match(ok.out, /audit chain OK/);
  t.match(ok.out, /[1-9]\d* kept pack\(s\) hashed/);
  const packDir = join(harness.config.audit.directory, 'packs');
  const packFile = join(packDir, readdirSync(packDir).find((n) => n.endsWith('.pack'))!);
  const original = readFileSync(packFile);
  writeFileSync(packFile, Buffer.concat([original, Buffer.from('x')]));
  const altered = await cli('audit', 'verify', '--packs');
  t.equal(altered.code, 1);
  t.match(altered.err, /the kept pack .* does not match its content hash/);
  writeFileSync(packFile, original);
  await harness.close();
  const segments = join(harness.config.audit.directory, 'segments');
  const file = join(segments, readdirSync(segments).filter((n) => n.endsWith('.jsonl')).sort()[0]!);
  const lines = readFileSync(file, 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes('"policy.decision"') && l.includes(deniedPush));
  const edited = JSON.parse(lines[index]!);
  edited.data.result.allow = true;
  lines[index] = JSON.stringify(edited);
  writeFileSync(file, lines.join('\n'));
  const bad = await cli('audit', 'verify');
  t.equal(bad.code, 1);
  t.match(bad.err, new RegExp(`TAMPERING DETECTED: event ${edited.seq} \\(${edited.id}, policy.decision\\) was altered`));
});
