import t from 'tap';
import { randomBytes, randomInt } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';
import { zipOf } from '../../testdata/secrets/archive-fixtures.js';
import { requestEvents } from '../audit/index.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** A format-valid fake GitHub token, made at run time so no literal in the repository looks like one. */
function fakeGithubToken(): string {
  let body = '';
  for (let i = 0; i < 36; i++) body += ALNUM[randomInt(ALNUM.length)];
  return `ghp_${body}`;
}

const execFileAsync = promisify(execFile);
const git = new GitClient();
let harness: GatewayHarness;
let work: string;

t.before(async () => {
  harness = await startHarness();
  work = await git.cloneAsAgent(harness.remote('demo/hello'), join(harness.root, 'work', 'clone'));
});
t.teardown(() => harness.close());

const commitFile = (path: string, content: string | Buffer, message: string): Promise<string> => git.commitFile(work, path, content, message);

async function upstreamRef(ref: string): Promise<string> {
  const result = await git.run(['--git-dir', join(harness.upstreamDir, 'demo/hello.git'), 'rev-parse', '--verify', '-q', ref], harness.root);
  return result.stdout.trim();
}

t.test('clone and fetch with protocol v0 and v2', async (t) => {
  t.equal((await git.ok(['log', '--oneline'], work)).trim().split('\n').length, 3);
  for (const version of ['0', '2']) {
    const result = await git.run(['-c', `protocol.version=${version}`, 'fetch', 'origin'], work);
    t.equal(result.code, 0, `fetch v${version}: ${result.stderr}`);
  }
  const v2 = await git.run(['-c', 'protocol.version=2', 'ls-remote', 'origin'], work);
  t.match(v2.stdout, /refs\/heads\/main/);
  t.match(harness.logs(), /"subject":"agent-1","repository":"demo\/hello","service":"git-upload-pack","phase":"rpc".*"bytes":\d+,"protocol_version":2,"msg":"fetch served"/, 'what was served is logged');
});

t.test('a new branch is pushed; a fast-forward of main is pushed', async (t) => {
  await git.ok(['checkout', '-q', '-b', 'feature/notes'], work);
  const feature = await commitFile('notes/ideas.md', 'first idea\n', 'Add ideas');
  const push = await git.run(['push', 'origin', 'feature/notes'], work);
  t.equal(push.code, 0, push.stderr);
  t.match(push.stderr, /\* \[new branch\]\s+feature\/notes -> feature\/notes/);
  t.equal(await upstreamRef('refs/heads/feature/notes'), feature);

  await git.ok(['checkout', '-q', 'main'], work);
  const ff = await commitFile('README.md', '# hello\n\nUpdated through gitgate.\n', 'Update the README');
  const ffPush = await git.run(['push', 'origin', 'main'], work);
  t.equal(ffPush.code, 0, ffPush.stderr);
  t.equal(await upstreamRef('refs/heads/main'), ff);
});

t.test('a force-push to main is refused with the reason; elsewhere it is allowed', async (t) => {
  const before = await upstreamRef('refs/heads/main');
  await git.ok(['commit', '-q', '--amend', '-m', 'Rewrite history'], work);
  const push = await git.run(['push', '--force', 'origin', 'main'], work);
  t.not(push.code, 0);
  t.match(push.stderr, /remote: gitgate refused this push; nothing was applied/);
  t.match(push.stderr, /remote: PROTECTED_REF_FORCE_PUSH \(refs\/heads\/main\): refs\/heads\/main is protected and this push rewrites its history/);
  t.match(push.stderr, /! \[remote rejected\] main -> main \(gitgate: PROTECTED_REF_FORCE_PUSH\)/);
  // The last remote line names the request: its audit events answer to that id.
  const reference = /remote: gitgate: request ([0-9a-f-]{36}) \(operators: gitgate audit show \1\)/.exec(push.stderr);
  t.ok(reference, push.stderr);
  const events = await requestEvents(harness.gateway.audit.store, reference![1]!);
  t.match(events.find((event) => event.type === 'policy.decision')?.data, { result: { allow: false, deny: [{ code: 'PROTECTED_REF_FORCE_PUSH' }] } });
  t.equal(await upstreamRef('refs/heads/main'), before, 'main did not move');
  await git.ok(['reset', '-q', '--hard', 'origin/main'], work);

  await git.ok(['checkout', '-q', 'feature/notes'], work);
  const rewritten = (await git.ok(['commit', '-q', '--amend', '-m', 'Add ideas, reworded'], work), (await git.ok(['rev-parse', 'HEAD'], work)).trim());
  const force = await git.run(['push', '--force', 'origin', 'feature/notes'], work);
  t.equal(force.code, 0, force.stderr);
  t.match(force.stderr, /\+ [0-9a-f]+\.\.\.[0-9a-f]+ feature\/notes -> feature\/notes \(forced update\)/);
  t.equal(await upstreamRef('refs/heads/feature/notes'), rewritten);
  await git.ok(['checkout', '-q', 'main'], work);
});

t.test('deleting main is refused', async (t) => {
  const push = await git.run(['push', 'origin', ':main'], work);
  t.not(push.code, 0);
  t.match(push.stderr, /remote: PROTECTED_REF_DELETE \(refs\/heads\/main\): refs\/heads\/main is protected and cannot be deleted/);
  t.match(push.stderr, /! \[remote rejected\] main \(gitgate: PROTECTED_REF_DELETE\)/);
  t.not(await upstreamRef('refs/heads/main'), '');
});

t.test('a push adding a secret is refused, and the secret is in no message or log', async (t) => {
  const secret = fakeGithubToken();
  await git.ok(['checkout', '-q', '-b', 'feature/config'], work);
  await commitFile('config/settings.js', `export const settings = {\n  githubToken: '${secret}',\n};\n`, 'Add settings');
  const push = await git.run(['push', 'origin', 'feature/config'], work);
  t.not(push.code, 0);
  t.match(push.stderr, /remote: SECRET_DETECTED \(refs\/heads\/feature\/config\): push blocked: 1 secret\(s\) found in the added lines of refs\/heads\/feature\/config/);
  t.match(push.stderr, /github-pat in config\/settings\.js:2/);
  t.match(push.stderr, /! \[remote rejected\] feature\/config -> feature\/config \(gitgate: SECRET_DETECTED\)/);
  t.notMatch(push.stderr, secret);
  t.notMatch(harness.logs(), secret);
  t.equal(await upstreamRef('refs/heads/feature/config'), '');
  await git.ok(['checkout', '-q', 'main'], work);
});

t.test('a secret in a UTF-16 file (git calls it binary) is found on its line and refused', async (t) => {
  const secret = fakeGithubToken();
  const text = `Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Example\\Deploy]\r\n"Token"="${secret}"\r\n`;
  await git.ok(['checkout', '-q', '-b', 'feature/registry'], work);
  await commitFile('deploy/settings.reg', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), 'Add registry settings');
  t.match(await git.ok(['diff', '--stat', 'HEAD~1'], work), /Bin 0 -> \d+ bytes/, 'binary to git');
  const push = await git.run(['push', 'origin', 'feature/registry'], work);
  t.not(push.code, 0);
  t.match(push.stderr, /github-pat in deploy\/settings\.reg:4/);
  t.match(push.stderr, /! \[remote rejected\] feature\/registry -> feature\/registry \(gitgate: SECRET_DETECTED\)/);
  t.notMatch(push.stderr, secret);
  t.equal(await upstreamRef('refs/heads/feature/registry'), '');
  await git.ok(['checkout', '-q', 'main'], work);
});

t.test('a secret deflated inside a committed archive is found in its file; an encrypted archive is refused', async (t) => {
  const secret = fakeGithubToken();
  const inner = await zipOf({ 'BOOT-INF/classes/application.properties': `server.port=8080\ngithub.token=${secret}\n` });
  await git.ok(['checkout', '-q', '-b', 'feature/archive'], work);
  await commitFile('deploy/app.zip', await zipOf({ 'README.txt': 'release bundle\n', 'lib/service.jar': inner }), 'Add release bundle');
  const push = await git.run(['push', 'origin', 'feature/archive'], work);
  t.not(push.code, 0);
  t.match(push.stderr, /github-pat in deploy\/app\.zip!lib\/service\.jar!BOOT-INF\/classes\/application\.properties:2/);
  t.match(push.stderr, /\(gitgate: SECRET_DETECTED\)/);
  t.notMatch(push.stderr, secret);
  t.equal(await upstreamRef('refs/heads/feature/archive'), '');

  const encrypted = await zipOf({ 'backup.sql': 'select 1;\n' });
  const local = encrypted.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  const central = encrypted.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  encrypted.writeUInt16LE(encrypted.readUInt16LE(local + 6) | 1, local + 6);
  encrypted.writeUInt16LE(encrypted.readUInt16LE(central + 8) | 1, central + 8);
  await git.ok(['reset', '-q', '--hard', 'HEAD~1'], work);
  await commitFile('backup.zip', encrypted, 'Add backup');
  const refused = await git.run(['push', 'origin', 'feature/archive'], work);
  t.not(refused.code, 0);
  t.match(refused.stderr, /backup\.zip: the entry "backup\.sql" is encrypted \(commit [0-9a-f]{40}\)\. gitgate forwards nothing it could not inspect/);
  t.match(refused.stderr, /\(gitgate could not inspect this push \(PUSH_UNINSPECTABLE\)\)/);
  t.equal(await upstreamRef('refs/heads/feature/archive'), '');
  await git.ok(['checkout', '-q', 'main'], work);
});

t.test('a secret in a .tar.gz made by tar is found in its file; a cut-off .tar.gz is refused', async (t) => {
  const secret = fakeGithubToken();
  const source = join(harness.root, 'work', 'tarball');
  mkdirSync(join(source, 'site', 'config'), { recursive: true });
  writeFileSync(join(source, 'site', 'index.html'), '<p>hello</p>\n');
  writeFileSync(join(source, 'site', 'config', 'app.env'), `PORT=8080\nGITHUB_TOKEN=${secret}\n`);
  await execFileAsync('tar', ['-czf', 'site.tar.gz', 'site'], { cwd: source });
  const tarball = readFileSync(join(source, 'site.tar.gz'));
  await git.ok(['checkout', '-q', '-b', 'feature/tarball'], work);
  await commitFile('deploy/site.tar.gz', tarball, 'Add site bundle');
  const push = await git.run(['push', 'origin', 'feature/tarball'], work);
  t.not(push.code, 0);
  t.match(push.stderr, /github-pat in deploy\/site\.tar\.gz!site\.tar!site\/config\/app\.env:2/);
  t.match(push.stderr, /\(gitgate: SECRET_DETECTED\)/);
  t.notMatch(push.stderr, secret);
  t.equal(await upstreamRef('refs/heads/feature/tarball'), '');

  await git.ok(['reset', '-q', '--hard', 'HEAD~1'], work);
  await commitFile('deploy/site.tar.gz', tarball.subarray(0, tarball.length - 8), 'Add a cut-off site bundle');
  const refused = await git.run(['push', 'origin', 'feature/tarball'], work);
  t.not(refused.code, 0);
  t.match(refused.stderr, /deploy\/site\.tar\.gz: it is not gzip data gitgate can read \(unexpected end of file\)/);
  t.match(refused.stderr, /\(PUSH_UNINSPECTABLE\)/);
  t.equal(await upstreamRef('refs/heads/feature/tarball'), '');
  await git.ok(['checkout', '-q', 'main'], work);
});

t.test('a tag push and an atomic two-ref push with one denied ref', async (t) => {
  await git.ok(['tag', 'build-1'], work);
  const tag = await git.run(['push', 'origin', 'build-1'], work);
  t.equal(tag.code, 0, tag.stderr);
  t.not(await upstreamRef('refs/tags/build-1'), '');

  await git.ok(['checkout', '-q', '-b', 'feature/two'], work);
  await commitFile('two.txt', 'two\n', 'Two');
  const push = await git.run(['push', '--atomic', 'origin', 'feature/two', ':main'], work);
  t.not(push.code, 0);
  t.match(push.stderr, /PROTECTED_REF_DELETE/);
  t.match(push.stderr, /feature\/two -> feature\/two \(gitgate: not applied because another ref of this push was refused\)/);
  t.equal(await upstreamRef('refs/heads/feature/two'), '', 'nothing applied');
  const options = await git.run(['push', '-o', 'ci.skip', 'origin', 'feature/two'], work);
  t.equal(options.code, 0, options.stderr);
  t.not(await upstreamRef('refs/heads/feature/two'), '');
  await git.ok(['checkout', '-q', 'main'], work);
});

t.test('a bad token gets 401 and git says so; no token: git would ask', async (t) => {
  const bad = await git.run(['ls-remote', harness.remote('demo/hello', 'ggt_00000000_notavalidtokennotavalidtokennotavalid')], harness.root);
  t.not(bad.code, 0);
  t.match(bad.stderr, /remote: gitgate: this token is not valid/);
  t.match(bad.stderr, /Authentication failed/);
  const none = await git.run(['ls-remote', harness.remote('demo/hello').replace(/agent:[^@]+@/, '')], harness.root);
  t.not(none.code, 0);
  t.match(none.stderr, /could not read Username/);
});

t.test('every git response carries the id of its audit events in X-Request-Id', async (t) => {
  const origin = new URL(harness.gateway.url);
  const response = await fetch(`${origin.origin}/demo/hello.git/info/refs?service=git-upload-pack`, {
    headers: { authorization: `Basic ${Buffer.from(`agent:${harness.token}`).toString('base64')}` },
  });
  t.equal(response.status, 200);
  await response.arrayBuffer();
  const id = response.headers.get('x-request-id') ?? '';
  t.match(id, /^[0-9a-f-]{36}$/);
  const events = await requestEvents(harness.gateway.audit.store, id);
  t.same(events.map((event) => event.type), ['request.received', 'authentication', 'policy.decision', 'fetch.served']);
});

t.test('an unknown repository is refused', async (t) => {
  const result = await git.run(['ls-remote', harness.remote('acme/unknown')], harness.root);
  t.not(result.code, 0);
  t.match(result.stderr, /remote: gitgate: repository 'acme\/unknown' is not served here/);
  t.match(result.stderr, /not found/);
});

t.test('a malformed push body is refused with a clear error and the gateway keeps serving', async (t) => {
  const url = new URL(harness.remote('demo/hello'));
  const auth = `Basic ${Buffer.from(`${url.username}:${url.password}`).toString('base64')}`;
  const zero = '0'.repeat(40);
  const head = `${zero} ${'1'.repeat(40)} refs/heads/broken\0report-status side-band-64k\n`;
  const body = Buffer.concat([Buffer.from(`${(head.length + 4).toString(16).padStart(4, '0')}${head}0000`), Buffer.from('PACK\0\0\0\x02\0\0\0\x01garbage')]);
  const response = await fetch(`${url.origin}/demo/hello.git/git-receive-pack`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-git-receive-pack-request' },
    body,
  });
  // The commands were read before the pack failed: the refusal is a report-status, as git expects.
  t.equal(response.status, 200);
  const report = await response.text();
  t.match(report, /gitgate: the pushed pack is invalid: .*\(PACK_/);
  t.match(report, /unpack gitgate refused the pack \(PUSH_PACK_INVALID\)/);
  t.match(report, /ng refs\/heads\/broken gitgate could not inspect this push \(PUSH_PACK_INVALID\)/);
  t.equal(await upstreamRef('refs/heads/broken'), '');
  // Commands that cannot be read leave nothing to report on: HTTP 400 with the reason.
  const garbled = await fetch(`${url.origin}/demo/hello.git/git-receive-pack`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-git-receive-pack-request' },
    body: 'zzzz not a pkt-line',
  });
  t.equal(garbled.status, 400);
  t.match(await garbled.text(), /^gitgate: the push request is malformed: /);
  const again = await git.run(['ls-remote', 'origin'], work);
  t.equal(again.code, 0);
});

t.test('a commit too large to inspect is refused with the reason git shows; nothing reaches the upstream', async (t) => {
  await git.ok(['checkout', '-q', '-b', 'feature/huge-message'], work);
  writeFileSync(join(work, 'huge.txt'), 'huge\n');
  await git.ok(['add', 'huge.txt'], work);
  // A message of 2 MiB: git takes it, and so would a gateway without a limit, holding it in memory
  // and in the policy input.
  writeFileSync(join(harness.root, 'huge-message.txt'), `Huge\n\n${'x'.repeat(2 * 1024 * 1024)}\n`);
  await git.ok(['commit', '-q', '-F', join(harness.root, 'huge-message.txt')], work);
  const head = (await git.ok(['rev-parse', 'HEAD'], work)).trim();
  const push = await git.run(['push', 'origin', 'feature/huge-message'], work);
  t.not(push.code, 0);
  t.match(push.stderr, new RegExp(`remote: gitgate: commit ${head} is \\d+ bytes; gitgate accepts commits and tags up to 1048576 bytes`));
  t.match(push.stderr, /! \[remote rejected\] feature\/huge-message -> feature\/huge-message \(gitgate could not inspect this push \(PUSH_TOO_LARGE\)\)/);
  t.equal(await upstreamRef('refs/heads/feature/huge-message'), '');
  await git.ok(['checkout', '-q', 'main'], work);
  t.equal((await git.run(['ls-remote', 'origin'], work)).code, 0, 'the gateway keeps serving');
});

t.test('a gzip-compressed protocol v2 upload-pack request is served', async (t) => {
  const url = new URL(harness.remote('demo/hello'));
  const auth = `Basic ${Buffer.from(`${url.username}:${url.password}`).toString('base64')}`;
  const pkt = (text: string) => `${(text.length + 4).toString(16).padStart(4, '0')}${text}`;
  const request = `${pkt('command=ls-refs\n')}0001${pkt('ref-prefix refs/heads/\n')}0000`;
  const response = await fetch(`${url.origin}/demo/hello.git/git-upload-pack`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-git-upload-pack-request', 'content-encoding': 'gzip', 'git-protocol': 'version=2' },
    body: gzipSync(request),
  });
  t.equal(response.status, 200);
  t.equal(response.headers.get('content-type'), 'application/x-git-upload-pack-result');
  t.match(await response.text(), /[0-9a-f]{40} refs\/heads\/main/);
});

t.test('a push larger than git\'s post buffer (sent chunked) is decoded and forwarded', async (t) => {
  await git.ok(['checkout', '-q', '-b', 'feature/assets'], work);
  mkdirSync(join(work, 'assets'), { recursive: true });
  writeFileSync(join(work, 'assets/blob.bin'), randomBytes(3 * 1024 * 1024));
  await git.ok(['add', 'assets/blob.bin'], work);
  await git.ok(['commit', '-q', '-m', 'Add a large asset'], work);
  const head = (await git.ok(['rev-parse', 'HEAD'], work)).trim();
  const push = await git.run(['push', 'origin', 'feature/assets'], work);
  t.equal(push.code, 0, push.stderr);
  t.equal(await upstreamRef('refs/heads/feature/assets'), head);
  await git.ok(['checkout', '-q', 'main'], work);
});

t.test('a large binary in a source directory is refused (size and binary flag known without keeping the blob)', async (t) => {
  await git.ok(['checkout', '-q', '-b', 'feature/vendored'], work);
  mkdirSync(join(work, 'src'), { recursive: true });
  const blob = randomBytes(2 * 1024 * 1024);
  blob[10] = 0;
  writeFileSync(join(work, 'src/vendored.so'), blob);
  await git.ok(['add', 'src/vendored.so'], work);
  await git.ok(['commit', '-q', '-m', 'Vendor a library'], work);
  const push = await git.run(['push', 'origin', 'feature/vendored'], work);
  t.not(push.code, 0);
  t.match(push.stderr, /remote: BINARY_IN_SOURCE \(refs\/heads\/feature\/vendored\): src\/vendored\.so is a binary file in a source directory/);
  t.equal(await upstreamRef('refs/heads/feature/vendored'), '');
  await git.ok(['checkout', '-q', 'main'], work);
});

t.test('git gets the token from gitgate credential-helper (no token in the URL)', async (t) => {
  const cli = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'cli.ts');
  const node = [process.execPath, ...process.execArgv.filter((a) => a.startsWith('--import=') || a === '--enable-source-maps')].map((a) => `'${a}'`).join(' ');
  const helper = `!${node} '${cli}' credential-helper --token-env GITGATE_E2E_AGENT_TOKEN`;
  const withHelper = new GitClient({ GITGATE_E2E_AGENT_TOKEN: harness.token });
  const bare = harness.remote('demo/hello').replace(/agent:[^@]+@/, '');
  const result = await withHelper.run(['-c', `credential.helper=${helper}`, 'ls-remote', bare], harness.root);
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /refs\/heads\/main/);
});
