import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git } from '../../testdata/git-cli.js';
import { GitLauncher, runGitProcess, useGitLauncher } from './git-launcher.js';

const root = mkdtempSync(join(tmpdir(), 'gitgate-git-launcher-test-'));
const repo = join(root, 'repo.git');
git(['init', '-q', '--bare', repo], { cwd: root });

/** An alias that prints the process id of whoever started git (the shell's parent is git). */
const PARENT_OF_GIT = ['-c', 'alias.starter=!cut -d" " -f4 /proc/$PPID/stat', 'starter'];

t.test('runs git in a process of its own, with input, an input file, the environment, and its output whole', async (t) => {
  const launcher = new GitLauncher();
  t.teardown(() => launcher.close());
  const starter = await launcher.run(PARENT_OF_GIT);
  t.equal(starter.code, 0);
  t.equal(Number(starter.stdout.toString().trim()), launcher.pid, 'git was started by the launcher, not by this process');
  t.not(launcher.pid, process.pid);

  const content = randomBytes(5 * 1024 * 1024);
  const written = await launcher.run(['--git-dir', repo, 'hash-object', '-w', '--stdin'], { input: content });
  const id = written.stdout.toString().trim();
  t.match(id, /^[0-9a-f]{40}$/, 'bytes as input');
  const read = await launcher.run(['--git-dir', repo, 'cat-file', 'blob', id]);
  t.ok(Buffer.isBuffer(read.stdout) && read.stdout.equals(content), '5 MiB of output, byte for byte');

  const file = join(root, 'input.txt');
  writeFileSync(file, 'from a file\n');
  const fromFile = await launcher.run(['--git-dir', repo, 'hash-object', '--stdin'], { inputFile: file });
  t.equal(fromFile.stdout.toString().trim(), git(['hash-object', file], { cwd: root }).toString().trim(), 'an input file, read by git');

  const ident = await launcher.run(['var', 'GIT_AUTHOR_IDENT'], { env: { ...process.env, GIT_AUTHOR_NAME: 'Launcher Test', GIT_AUTHOR_EMAIL: 'launcher@example.com' } });
  t.match(ident.stdout.toString(), /^Launcher Test <launcher@example.com> /, 'the environment given');

  const failed = await launcher.run(['--git-dir', repo, 'cat-file', '-t', '0'.repeat(40)]);
  t.equal(failed.code, 128, 'a failing git is an exit code, not a rejection');
  t.match(failed.stderr, /Not a valid object name|could not get object info/);
});

t.test('runs at once all get their own answers', async (t) => {
  const launcher = new GitLauncher();
  t.teardown(() => launcher.close());
  const texts = Array.from({ length: 20 }, (_, i) => `text ${i}\n`.repeat(i + 1));
  const ids = await Promise.all(texts.map((text) => launcher.run(['hash-object', '--stdin'], { input: text })));
  t.same(
    ids.map((r) => r.stdout.toString().trim()),
    texts.map((text) => git(['hash-object', '--stdin'], { cwd: root, input: text }).toString().trim()),
  );
});

t.test('a launcher that dies fails the runs it had; the next run starts a new one', async (t) => {
  const launcher = new GitLauncher();
  t.teardown(() => launcher.close());
  await launcher.run(['version']);
  const first = launcher.pid!;
  // A git that waits on its standard input, which never ends: the launcher dies meanwhile.
  const waiting = launcher.run(['-c', 'alias.wait=!sleep 5', 'wait']);
  await new Promise((resolve) => setTimeout(resolve, 200));
  process.kill(first, 'SIGKILL');
  await t.rejects(waiting, /the git launcher exited \(SIGKILL\) before git finished/);
  const again = await launcher.run(['version']);
  t.equal(again.code, 0);
  t.not(launcher.pid, first, 'a new launcher');
});

t.test('closed, it stops what still runs and refuses more', async (t) => {
  const launcher = new GitLauncher();
  await launcher.run(['version']);
  const pid = launcher.pid!;
  const waiting = launcher.run(['-c', 'alias.wait=!sleep 5', 'wait']);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const started = performance.now();
  await launcher.close();
  t.ok(performance.now() - started < 2500, 'closed without waiting for the run');
  const outcome = await waiting.then((result) => result, (error: Error) => error);
  t.ok(outcome instanceof Error || outcome.code !== 0, 'the running git did not finish normally');
  t.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the launcher process is gone');
  await t.rejects(launcher.run(['version']), /the git launcher is closed/);
});

t.test('runGitProcess goes through the shared launcher while someone uses it, and runs here otherwise', async (t) => {
  const here = await runGitProcess(PARENT_OF_GIT);
  t.equal(Number(here.stdout.toString().trim()), process.pid, 'without a launcher: started by this process');
  const releaseA = useGitLauncher();
  const releaseB = useGitLauncher();
  const launched = Number((await runGitProcess(PARENT_OF_GIT)).stdout.toString().trim());
  t.not(launched, process.pid, 'with one: started by the launcher');
  await releaseA();
  t.equal(Number((await runGitProcess(PARENT_OF_GIT)).stdout.toString().trim()), launched, 'still in use by the other user: the same launcher');
  await releaseB();
  await releaseB(); // twice does nothing
  t.equal(Number((await runGitProcess(PARENT_OF_GIT)).stdout.toString().trim()), process.pid, 'released by all: here again');
});
