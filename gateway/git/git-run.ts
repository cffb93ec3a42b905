import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';

export interface GitRunOptions {
  /** Text or bytes written to standard input. */
  input?: string | Buffer;
  /** A file git reads as its standard input (git reads it itself: nothing goes through node). */
  inputFile?: string;
  /** The whole environment of the run (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** How a run of git ended and what it wrote. */
export interface GitRunResult {
  /** Exit code; null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  /** Its standard error, the first MAX_GIT_STDERR_CHARS characters. */
  stderr: string;
}

/** The git command `args` run (`cat-file` of `--git-dir x cat-file --batch`), for messages: never paths or values. */
export function gitCommandOf(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-C' || arg === '-c' || arg === '--git-dir' || arg === '--work-tree' || arg === '--namespace') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return '';
}

/** Most a run may write to its standard output, which is kept whole in memory: past it, git is stopped and the run fails. */
export const MAX_GIT_OUTPUT_BYTES = 1024 ** 3;
const MAX_GIT_STDERR_CHARS = 64 * 1024;

/**
 * Runs git in this process until it exits and resolves how it ended; rejects only when git could
 * not be started, its input file not opened, or its output passed MAX_GIT_OUTPUT_BYTES. `signal`
 * stops it (SIGTERM).
 */
export async function runGitHere(args: readonly string[], options: GitRunOptions = {}, signal?: AbortSignal): Promise<GitRunResult> {
  const inputFile = options.inputFile === undefined ? undefined : await open(options.inputFile, 'r');
  try {
    return await new Promise<GitRunResult>((resolve, reject) => {
      const child = spawn('git', args, { stdio: [inputFile?.fd ?? 'pipe', 'pipe', 'pipe'], env: options.env ?? process.env, ...(signal === undefined ? {} : { signal }) });
      const out: Buffer[] = [];
      let outBytes = 0;
      let stderr = '';
      let overflow = false;
      child.stdout!.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > MAX_GIT_OUTPUT_BYTES) {
          overflow = true;
          child.kill();
          return;
        }
        out.push(chunk);
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        if (stderr.length < MAX_GIT_STDERR_CHARS) stderr += chunk.toString().slice(0, MAX_GIT_STDERR_CHARS - stderr.length);
      });
      child.on('error', (error) => reject(new Error(`cannot run git ${gitCommandOf(args)}: ${error.message}`)));
      child.stdin?.on('error', () => undefined); // git may exit without reading all of it
      child.on('close', (code, exitSignal) => {
        if (overflow) reject(new Error(`git ${gitCommandOf(args)} wrote more than ${MAX_GIT_OUTPUT_BYTES} bytes`));
        else resolve({ code, signal: exitSignal, stdout: Buffer.concat(out), stderr });
      });
      if (inputFile === undefined) child.stdin!.end(options.input ?? '');
    });
  } finally {
    await inputFile?.close();
  }
}

/** How a started git ended. */
export interface GitExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A git process started with its standard streams connected to this process (as `spawn` with pipes gives them). */
export interface GitChild {
  readonly pid: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /**
   * How git ended, once it has exited and its standard output and error have closed (read them);
   * rejects when that cannot be known (the launcher that started it failed).
   */
  readonly exit: Promise<GitExit>;
  kill(signal?: NodeJS.Signals): void;
  /** Whether it keeps node running: a shared process that waits idle must not hold a finished program open. */
  keepProcessAlive(keep: boolean): void;
}

export interface GitChildOptions {
  /** The whole environment of git (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Stops git (SIGTERM). */
  signal?: AbortSignal;
}

/** Starts git from this process; rejects when it cannot be started. */
export function startGitHere(args: readonly string[], options: GitChildOptions = {}): Promise<GitChild> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    const exit = new Promise<GitExit>((resolveExit) => child.once('close', (code, signal) => resolveExit({ code, signal })));
    child.once('error', (error) => reject(new Error(`cannot run git ${gitCommandOf(args)}: ${error.message}`)));
    child.once('spawn', () => {
      child.removeAllListeners('error');
      child.on('error', () => undefined); // a kill that fails, an abort after the start: the exit says how it ended
      resolve({
        pid: child.pid,
        stdin: child.stdin,
        stdout: child.stdout,
        stderr: child.stderr,
        exit,
        kill: (signal) => void child.kill(signal),
        keepProcessAlive: (keep) => {
          for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as { ref(): void; unref(): void }[]) {
            if (keep) handle.ref();
            else handle.unref();
          }
        },
      });
    });
  });
}
