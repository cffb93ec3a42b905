import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';

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
      child.on('error', (error) => reject(new Error(`cannot run git ${args.filter((a) => !a.startsWith('/')).slice(0, 3).join(' ')}: ${error.message}`)));
      child.stdin?.on('error', () => undefined); // git may exit without reading all of it
      child.on('close', (code, exitSignal) => {
        if (overflow) reject(new Error(`git ${args.filter((a) => !a.startsWith('/')).slice(0, 3).join(' ')} wrote more than ${MAX_GIT_OUTPUT_BYTES} bytes`));
        else resolve({ code, signal: exitSignal, stdout: Buffer.concat(out), stderr });
      });
      if (inputFile === undefined) child.stdin!.end(options.input ?? '');
    });
  } finally {
    await inputFile?.close();
  }
}
