import { spawn } from 'node:child_process';
import { hermeticGitEnv } from '../../testdata/git-cli.js';

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The real git CLI, run asynchronously (the gateway under test runs in the same process, so a
 * synchronous child would block it). Never prompts for credentials.
 */
export class GitClient {
  readonly env: NodeJS.ProcessEnv;

  constructor(extraEnv: Record<string, string> = {}) {
    this.env = hermeticGitEnv({ GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', ...extraEnv });
  }

  run(args: string[], cwd: string): Promise<GitResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, { cwd, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /** Runs git and fails with its stderr unless it exits 0. */
  async ok(args: string[], cwd: string): Promise<string> {
    const result = await this.run(args, cwd);
    if (result.code !== 0) throw new Error(`git ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  }
}
