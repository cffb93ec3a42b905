import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';

export interface RunGitOptions {
  /** Text or bytes written to standard input. */
  input?: string | Buffer;
  /** A file git reads as its standard input. */
  inputFile?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs git, resolving its standard output; rejects with its standard error when it fails. */
export async function runGit(args: string[], options: RunGitOptions = {}): Promise<Buffer> {
  // git reads an input file itself, as its standard input: streaming a pack of hundreds of MB
  // through this process would only cost memory (every chunk is garbage until the next GC).
  const inputFile = options.inputFile === undefined ? undefined : await open(options.inputFile, 'r');
  try {
    return await runGitWithStdin(args, options, inputFile?.fd);
  } finally {
    await inputFile?.close();
  }
}

function runGitWithStdin(args: string[], options: RunGitOptions, stdinFd: number | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { stdio: [stdinFd ?? 'pipe', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...options.env } });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.stdin?.on('error', () => undefined);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`git ${args.filter((a) => !a.startsWith('/')).slice(0, 3).join(' ')} failed (exit ${code}): ${stderr.trim().slice(0, 500)}`));
    });
    if (stdinFd === undefined) child.stdin!.end(options.input ?? '');
  });
}
