import t from 'tap';
import { spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hermeticGitEnv } from '../../testdata/git-cli.js';
import { FLUSH_PKT, pktLine } from '../../pack-parser/index.js';
import { ApprovalsClient } from '../approvals/approvals-client.js';
import { GitClient } from './git-client.js';
import { startHarness } from './gateway-harness.js';

// A client that does not ask for side-band (git always does; other tools may not) is held silently:
// not a byte of the answer until the decision, then the upstream's plain report-status.
const git = new GitClient();

t.test('without side-band the hold is silent, and the report comes after the approval', async (t) => {
  const harness = await startHarness([], undefined, { approvals: { hold_seconds: 30, progress_interval_seconds: 1 } });
  t.teardown(() => harness.close());
  const alice = new ApprovalsClient({ baseUrl: harness.gateway.url, token: harness.gateway.tokens.create('alice', ['production-review'], 'human').token });
  const work = join(harness.root, 'clone');
  await git.ok(['clone', '-q', harness.remote('demo/hello'), work], harness.root);
  mkdirSync(join(work, 'src'), { recursive: true });
  writeFileSync(join(work, 'src', 'raw.js'), 'pushed without side-band\n');
  await git.ok(['add', '.'], work);
  await git.ok(['-c', 'user.name=Tool', '-c', 'user.email=tool@example.com', 'commit', '-q', '-m', 'Raw push'], work);
  const oldId = (await git.ok(['rev-parse', 'origin/main'], work)).trim();
  const newId = (await git.ok(['rev-parse', 'HEAD'], work)).trim();
  const pack = spawnSync('git', ['pack-objects', '--stdout', '--revs'], { cwd: work, input: `${newId}\n^${oldId}\n`, env: hermeticGitEnv({}), maxBuffer: 1 << 24 });
  t.equal(pack.status, 0, pack.stderr.toString());
  const body = Buffer.concat([pktLine(`${oldId} ${newId} refs/heads/main\0report-status agent=raw-tool\n`), Buffer.from(FLUSH_PKT), pack.stdout]);

  const url = new URL('/demo/hello.git/git-receive-pack', harness.gateway.url);
  const chunks: { at: number; data: Buffer }[] = [];
  const answered = new Promise<number>((resolve, reject) => {
    const request = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-git-receive-pack-request', authorization: `Basic ${Buffer.from(`agent:${harness.token}`).toString('base64')}` },
    });
    request.on('response', (response) => {
      response.on('data', (data: Buffer) => chunks.push({ at: Date.now(), data }));
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(body);
  });
  let id: string | undefined;
  while (id === undefined) {
    id = (await alice.list({ state: 'pending' })).find((r) => r.refs[0]?.new === newId)?.id;
    if (id === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 2500)); // two progress intervals pass
  t.same(chunks, [], 'nothing was sent while holding');
  const approvedAt = Date.now();
  await alice.approve(id, 'ok');
  t.equal(await answered, 200);
  t.ok(chunks.every((c) => c.at >= approvedAt), 'the answer came after the approval');
  const text = Buffer.concat(chunks.map((c) => c.data)).toString('latin1');
  t.equal(text, `${pktLine('unpack ok\n').toString('latin1')}${pktLine('ok refs/heads/main\n').toString('latin1')}0000`, "the upstream's plain report-status");
  t.equal((await git.ok(['--git-dir', join(harness.upstreamDir, 'demo/hello.git'), 'rev-parse', 'main'], harness.root)).trim(), newId);
});
