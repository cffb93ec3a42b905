import { runGitProcess } from '../git/git-launcher.js';
import { gitCommandOf, type GitRunOptions } from '../git/git-run.js';

export interface RunGitOptions {
  /** Text or bytes written to standard input. */
  input?: string | Buffer;
  /**
   * A file git reads as its standard input: streaming a pack of hundreds of MB through this
   * process would only cost memory (every chunk is garbage until the next GC).
   */
  inputFile?: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
}

/** Runs git, resolving its standard output; rejects with its standard error when it fails. */
export async function runGit(args: string[], options: RunGitOptions = {}): Promise<Buffer> {
  const run: GitRunOptions = { env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...options.env } };
  if (options.input !== undefined) run.input = options.input;
  if (options.inputFile !== undefined) run.inputFile = options.inputFile;
  const result = await runGitProcess(args, run);
  if (result.code === 0) return result.stdout;
  throw new Error(`git ${gitCommandOf(args)} failed (${result.signal ?? `exit ${result.code}`}): ${result.stderr.trim().slice(0, 500)}`);
}
