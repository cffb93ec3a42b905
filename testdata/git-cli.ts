import { execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Environment for running the real git in tests: no user or system config, a fixed identity and
 * fixed dates so that generated repositories are the same on every machine.
 */
export function hermeticGitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'gitgate-git-home-'));
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Fixture Author',
    GIT_AUTHOR_EMAIL: 'author@example.com',
    GIT_AUTHOR_DATE: '1700000000 +0000',
    GIT_COMMITTER_NAME: 'Fixture Committer',
    GIT_COMMITTER_EMAIL: 'committer@example.com',
    GIT_COMMITTER_DATE: '1700000000 +0000',
    LANG: 'C',
    LC_ALL: 'C',
    ...extra,
  };
}

export interface GitRunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  input?: Buffer | string;
}

/** Runs git and returns its stdout; throws with git's stderr on failure. */
export function git(args: string[], options: GitRunOptions): Buffer {
  try {
    return execFileSync('git', args, {
      cwd: options.cwd,
      env: options.env ?? hermeticGitEnv(),
      input: options.input,
      maxBuffer: 1024 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`git ${args.join(' ')} failed: ${stderr.trim() || String(error)}`);
  }
}

/** Runs git with stdin streamed from `input` (for fast-import and large packs). */
export function gitWithStdinStream(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; writeInput: (stdin: NodeJS.WritableStream) => Promise<void> },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = { cwd: options.cwd, env: options.env ?? hermeticGitEnv(), stdio: ['pipe', 'pipe', 'pipe'] };
    const child = spawn('git', args, spawnOptions);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`git ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString().trim()}`));
    });
    options.writeInput(child.stdin!).then(
      () => child.stdin!.end(),
      (error) => {
        child.kill();
        reject(error);
      },
    );
  });
}
