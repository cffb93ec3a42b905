import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git } from '../../testdata/git-cli.js';
import { GitLauncher, runGitProcess, startGit, useGitLauncher } from './git-launcher.js';

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

/** The parent process id of a process, from /proc. */
function parentOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
}

/** Starts `git cat-file --batch` in the test repository with its output read and dropped. */
async function idleCatFile(start: typeof startGit, options: { signal?: AbortSignal } = {}) {
  const child = await start(['--git-dir', repo, 'cat-file', '--batch'], options);
  child.stdout.resume();
  child.stderr.resume();
  return child;
}

/** Everything a readable gives until its end. */
async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

t.test('starts git with its streams connected here: a long-running cat-file, large output, stdin to its end', async (t) => {
  const launcher = new GitLauncher();
  t.teardown(() => launcher.close());
  const content = randomBytes(3 * 1024 * 1024);
  const id = (await launcher.run(['--git-dir', repo, 'hash-object', '-w', '--stdin'], { input: content })).stdout.toString().trim();

  const catFile = await launcher.startGit(['--git-dir', repo, 'cat-file', '--batch']);
  t.equal(parentOf(catFile.pid!), launcher.pid, 'started by the launcher');
  const output = readAll(catFile.stdout);
  const errors = readAll(catFile.stderr);
  catFile.stdin.write(`${id}\n${'0'.repeat(40)}\n`);
  catFile.stdin.end();
  const expected = Buffer.concat([Buffer.from(`${id} blob ${content.length}\n`), content, Buffer.from(`\n${'0'.repeat(40)} missing\n`)]);
  t.ok((await output).equals(expected), '3 MiB object and a missing one, byte for byte, after the stdin ended');
  t.same(await catFile.exit, { code: 0, signal: null });
  t.equal((await errors).length, 0);

  const failing = await launcher.startGit(['--git-dir', repo, 'cat-file', '-t', 'not-an-object']);
  failing.stdin.end();
  const [failingOut, failingErr] = await Promise.all([readAll(failing.stdout), readAll(failing.stderr)]);
  t.equal(failingOut.length, 0);
  t.match(failingErr.toString(), /not-an-object/);
  t.same(await failing.exit, { code: 128, signal: null }, 'its exit code');
});

t.test('a started git is stopped by kill, by its abort signal, and with its launcher', async (t) => {
  const launcher = new GitLauncher();
  const start = launcher.startGit.bind(launcher);
  const waiting = await idleCatFile(start);
  waiting.kill();
  t.same(await waiting.exit, { code: null, signal: 'SIGTERM' }, 'kill');

  const controller = new AbortController();
  const aborted = await idleCatFile(start, { signal: controller.signal });
  controller.abort();
  t.same(await aborted.exit, { code: null, signal: 'SIGTERM' }, 'abort signal');

  const orphan = await idleCatFile(start);
  const launcherPid = launcher.pid!;
  process.kill(launcherPid, 'SIGKILL');
  await t.rejects(orphan.exit, /the git launcher exited \(SIGKILL\): how git cat-file ended is not known/, 'the launcher died: its exit is not known');
  await launcher.close();
  await t.rejects(launcher.startGit(['version']), /the git launcher is closed/);
});

t.test('startGit starts from here without a launcher, and through it while one is in use', async (t) => {
  const here = await idleCatFile(startGit);
  t.equal(parentOf(here.pid!), process.pid);
  here.stdin.end();
  t.same(await here.exit, { code: 0, signal: null });
  const release = useGitLauncher();
  t.teardown(release);
  const launched = await idleCatFile(startGit);
  t.not(parentOf(launched.pid!), process.pid);
  launched.stdin.end();
  t.same(await launched.exit, { code: 0, signal: null });
  const quick = await startGit(['--no-such-option-for-git']);
  quick.stdout.resume();
  quick.stderr.resume();
  t.equal((await quick.exit).code, 129, 'a git that exits at once still ends with its code');
});

t.test('where its socket cannot be made (no temporary directory), git is started here', async (t) => {
  const notADirectory = join(root, 'not-a-directory');
  writeFileSync(notADirectory, '');
  const saved = process.env['TMPDIR'];
  process.env['TMPDIR'] = notADirectory;
  const launcher = new GitLauncher();
  t.teardown(async () => {
    if (saved === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = saved;
    await launcher.close();
  });
  for (const attempt of ['first', 'second']) {
    const child = await idleCatFile(launcher.startGit.bind(launcher));
    t.equal(parentOf(child.pid!), process.pid, `${attempt} start: from this process`);
    child.stdin.end();
    t.same(await child.exit, { code: 0, signal: null });
  }
  t.equal((await launcher.run(['version'])).code, 0, 'runs to the end still go through the launcher');
});
