import t from 'tap';
import { capturedIO } from './captured-io.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli } from './run.js';
import { scanCommand } from './scan-command.js';
import { ALNUM, SeededTextRandom } from '../../testdata/secrets/seeded-text-random.js';
import { compressedBy, tarOf, zipOf } from '../../testdata/secrets/archive-fixtures.js';

const fakeToken = (seed: number) => ['gh', 'p_'].join('') + new SeededTextRandom(seed).chars(ALNUM, 36);

const captureIO = (stdin: string[] = []) => capturedIO(...stdin);

const scan = (argv: string[], io = captureIO()) => runCli(['scan', ...argv], [scanCommand], io).then((code) => ({ code, io }));

function fixtureDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-scan-'));
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, 'src', 'clean.ts'), 'export const answer = 42;\n');
  writeFileSync(join(dir, 'src', 'leak.py'), `x = 1\nTOKEN = "${fakeToken(1)}"\n`);
  writeFileSync(join(dir, '.git', 'ignored'), `${fakeToken(2)}\n`);
  return dir;
}

t.test('files and directories: exit 1 with findings, no secret in the output', async (t) => {
  const dir = fixtureDir();
  const { code, io } = await scan([dir]);
  t.equal(code, 1);
  t.match(io.out, /src\/leak\.py:2:10 {2}github-pat {2}critical {2}ghp_… \(40 chars\)/);
  t.match(io.out, /1 secret\(s\) found, 0 allowed, in 2 file\(s\)/);
  t.notMatch(io.out, fakeToken(1).slice(4));
  t.notMatch(io.out, 'ignored');
});

t.test('clean input exits 0; stdin is read with -', async (t) => {
  t.equal((await scan([join(fixtureDir(), 'src', 'clean.ts')])).code, 0);
  const { code, io } = await scan(['-', '--format', 'json'], captureIO([`key: ${fakeToken(3)}\n`]));
  t.equal(code, 1);
  const report = JSON.parse(io.out) as { summary: { findings: number }; findings: { path: string; ruleId: string }[] };
  t.equal(report.summary.findings, 1);
  t.match(report.findings[0], { path: '<stdin>', ruleId: 'github-pat' });
});

t.test('a UTF-16 file is read as the gateway reads it: as text, and stdin over the size limit is skipped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-scan-'));
  const text = `Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Example]\r\n"Token"="${fakeToken(4)}"\r\n`;
  writeFileSync(join(dir, 'settings.reg'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  const { code, io } = await scan([dir]);
  t.equal(code, 1);
  t.match(io.out, /settings\.reg:4:10 {2}github-pat/);
  const over = await scan(['-', '--max-file-size', '64', '--format', 'json'], captureIO([`key: ${fakeToken(5)}\n${'x'.repeat(100)}\n`]));
  t.equal(over.code, 0);
  t.match(JSON.parse(over.io.out), { skipped: [{ path: '<stdin>', reason: 'too-large' }] });
});

t.test('a file over 1 MiB is scanned (in slices, as the gateway scans it) up to the largest object a push may carry', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-scan-'));
  const lines = Array.from({ length: 40_000 }, (_, i) => `row ${i}: nothing to see in this line of the export`);
  lines.push(`api_token: ${fakeToken(10)}`);
  writeFileSync(join(dir, 'export.yaml'), `${lines.join('\n')}\n`);
  const { code, io } = await scan([dir, '--format', 'json']);
  t.equal(code, 1);
  t.match(JSON.parse(io.out), { findings: [{ path: /export\.yaml$/, line: 40_001, ruleId: 'github-pat' }] });
  const capped = await scan([dir, '--max-file-size', '1048576', '--format', 'json']);
  t.equal(capped.code, 0, '--max-file-size skips it');
  t.match(JSON.parse(capped.io.out), { skipped: [{ path: /export\.yaml$/, reason: 'too-large' }] });
});

t.test('the files inside a zip archive are scanned; an archive that cannot be read whole fails the scan', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-scan-'));
  const zip = await zipOf({ 'conf/app.properties': `port=1\ntoken=${fakeToken(6)}\n` });
  writeFileSync(join(dir, 'bundle.jar'), zip);
  const { code, io } = await scan([dir]);
  t.equal(code, 1);
  t.match(io.out, /bundle\.jar!conf\/app\.properties:2:7 {2}github-pat/);
  const lying = Buffer.from(await zipOf({ 'notes.txt': 'nothing secret here\n' }));
  lying.writeUInt32LE(3, lying.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 24); // declares 3 bytes
  writeFileSync(join(dir, 'bundle.jar'), lying);
  const unread = await scan([dir]);
  t.equal(unread.code, 1, 'nothing found, but not everything read');
  t.match(unread.io.out, /not read whole: .*bundle\.jar: the entry "notes\.txt" cannot be read/);
  t.match(unread.io.out, /0 secret\(s\) found, 0 allowed, in 1 file\(s\); 0 skipped; 1 not read whole/);
  const json = await scan([dir, '--format', 'json']);
  t.match(JSON.parse(json.io.out), { summary: { unscanned: 1 }, unscanned: [{ path: /bundle\.jar$/, reason: /cannot be read/ }] });
});

t.test('the files inside a .tar.gz, a .tar.xz and a .tar.zst are scanned', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-scan-'));
  const tarball = await tarOf({ 'conf/app.properties': `port=1\ntoken=${fakeToken(7)}\n` });
  writeFileSync(join(dir, 'release.tgz'), gzipSync(tarball));
  writeFileSync(join(dir, 'release.tar.xz'), compressedBy('xz', tarball));
  writeFileSync(join(dir, 'release.tar.zst'), compressedBy('zstd', tarball));
  const { code, io } = await scan([dir]);
  t.equal(code, 1);
  t.match(io.out, /release\.tgz!release\.tar!conf\/app\.properties:2:7 {2}github-pat/);
  t.match(io.out, /release\.tar\.xz!release\.tar!conf\/app\.properties:2:7 {2}github-pat/);
  t.match(io.out, /release\.tar\.zst!release\.tar!conf\/app\.properties:2:7 {2}github-pat/);
});

t.test('sarif output names rules and carries fingerprints', async (t) => {
  const { io } = await scan([fixtureDir(), '--format', 'sarif']);
  const sarif = JSON.parse(io.out) as { version: string; runs: { tool: { driver: { rules: { id: string }[] } }; results: { partialFingerprints: Record<string, string> }[] }[] };
  t.equal(sarif.version, '2.1.0');
  t.same(sarif.runs[0]!.tool.driver.rules.map((r) => r.id), ['github-pat']);
  t.match(sarif.runs[0]!.results[0]!.partialFingerprints['gitgateSecret/v1'], /^hmac-sha256:/);
});

t.test('--rules uses a team file; a bad one is a usage error', async (t) => {
  const dir = fixtureDir();
  const rules = join(dir, 'rules.json');
  writeFileSync(rules, JSON.stringify({ version: 1, extends: 'builtin', disable: ['github-pat'], rules: [] }));
  t.equal((await scan([join(dir, 'src'), '--rules', rules])).code, 0);
  writeFileSync(rules, '{"version": 2}');
  const bad = await scan([dir, '--rules', rules]);
  t.equal(bad.code, 2);
  t.match(bad.io.err, /invalid/);
});

t.test('binary files are scanned as the gateway scans them; --binary chooses otherwise', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-scan-binary-'));
  const assignment = 'db_password = "Qm7rT2vX9kL4pW8zN3sB"';
  writeFileSync(join(dir, 'settings.pyc'), Buffer.concat([Buffer.from([0xa7, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0]), Buffer.from(`${fakeToken(5)}\0${assignment}\0`)]));
  const rules = async (args: string[]) => {
    const { code, io } = await scan([dir, '--format', 'json', ...args]);
    return { code, rules: (JSON.parse(io.out) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId) };
  };
  t.same(await rules([]), { code: 1, rules: ['github-pat'] }, 'the token; the generic assignment rule does not run on binaries');
  t.same(await rules(['--binary', 'all-rules']), { code: 1, rules: ['github-pat', 'secret-assignment-quoted'] });
  t.same(await rules(['--binary', 'skip']), { code: 0, rules: [] });
  const bad = await scan([dir, '--binary', 'some']);
  t.equal(bad.code, 2);
  t.match(bad.io.err, /--binary must be one of specific-rules, all-rules, skip/);
});

t.test('usage errors exit 2', async (t) => {
  t.equal((await scan(['--format', 'xml'])).code, 2);
  t.equal((await scan(['--git', '.'])).code, 2);
  t.equal((await scan(['/no/such/path'])).code, 2);
  t.equal((await scan(['--git', '.', '--range', 'HEAD'])).code, 2);
});

t.test('--git --range scans only the added lines of the range', async (t) => {
  const repo = mkdtempSync(join(tmpdir(), 'gitgate-scan-git-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'config.yml'), `token: ${fakeToken(5)}\nname: a\n`);
  git('add', '.');
  git('commit', '-qm', 'first');
  const first = git('rev-parse', 'HEAD');
  writeFileSync(join(repo, 'config.yml'), `token: ${fakeToken(5)}\nname: b\n+++ weird: ${fakeToken(7)}\n`);
  writeFileSync(join(repo, 'new file.env'), `OTHER=${fakeToken(6)}\n`);
  git('add', '.');
  git('commit', '-qm', 'second');
  const second = git('rev-parse', 'HEAD');
  const { code, io } = await scan(['--git', repo, '--range', `${first}..${second}`, '--format', 'json']);
  t.equal(code, 1);
  const report = JSON.parse(io.out) as { findings: { path: string; line: number; commit: string }[] };
  t.same(
    report.findings.map((f) => [f.path, f.line, f.commit]).sort(),
    [
      ['config.yml', 3, second],
      ['new file.env', 1, second],
    ],
  );
  const bad = await scan(['--git', repo, '--range', 'nope..alsonope']);
  t.equal(bad.code, 2);

  // Binary to git: read whole, as the gateway reads a push, against the first parent's version.
  const registry = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  writeFileSync(join(repo, 'deploy.reg'), registry(`"Token"="${fakeToken(8)}"\r\n`));
  writeFileSync(join(repo, 'site.tgz'), gzipSync(await tarOf({ 'site/app.env': `A=1\nTOKEN=${fakeToken(9)}\n` })));
  git('add', '.');
  git('commit', '-qm', 'third');
  const third = git('rev-parse', 'HEAD');
  writeFileSync(join(repo, 'deploy.reg'), registry(`"Token"="${fakeToken(8)}"\r\n"Name"="renamed"\r\n`));
  git('add', '.');
  git('commit', '-qm', 'fourth');
  const fourth = git('rev-parse', 'HEAD');
  const large = Array.from({ length: 40_000 }, (_, i) => `row ${i}: nothing to see in this line of the export`);
  writeFileSync(join(repo, 'export.yaml'), `${large.join('\n')}\napi_token: ${fakeToken(11)}\n`);
  git('add', '.');
  git('commit', '-qm', 'fifth, with a large file');
  const binaries = await scan(['--git', repo, '--range', `${second}..HEAD`, '--format', 'json']);
  t.equal(binaries.code, 1);
  t.same(
    (JSON.parse(binaries.io.out) as { findings: { path: string; line: number; commit: string }[] }).findings.map((f) => [f.path, f.line, f.commit]).sort(),
    [
      ['deploy.reg', 1, third],
      ['export.yaml', 40_001, git('rev-parse', 'HEAD')],
      ['site.tgz!site.tar!site/app.env', 2, third],
    ],
    'the token the fourth commit kept is not reported again; text over 1 MiB is read in slices',
  );
  const capped = await scan(['--git', repo, '--range', `${fourth}..HEAD`, '--max-file-size', '1048576', '--format', 'json']);
  t.match(JSON.parse(capped.io.out), { skipped: [{ path: 'export.yaml', reason: 'too-large' }] });
});
