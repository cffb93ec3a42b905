import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

export interface RunGitOptions {
  /** Text or bytes written to standard input. */
  input?: string | Buffer;
  /** A file streamed to standard input. */
  inputFile?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs git, resolving its standard output; rejects with its standard error when it fails. */
export function runGit(args: string[], options: RunGitOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...options.env } });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`git ${args.filter((a) => !a.startsWith('/')).slice(0, 3).join(' ')} failed (exit ${code}): ${stderr.trim().slice(0, 500)}`));
    });
    if (options.inputFile !== undefined) pipeline(createReadStream(options.inputFile), child.stdin).catch(() => undefined);
    else child.stdin.end(options.input ?? '');
  });
}
