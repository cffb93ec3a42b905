import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

  /** Clones `remote` into `directory` and sets the committer the tests push as (Agent One). */
  async cloneAsAgent(remote: string, directory: string): Promise<string> {
    mkdirSync(dirname(directory), { recursive: true });
    await this.ok(['clone', '-q', remote, directory], dirname(directory));
    await this.ok(['config', 'user.name', 'Agent One'], directory);
    await this.ok(['config', 'user.email', 'agent-1@example.com'], directory);
    return directory;
  }

  /** Writes `path` in the clone `work`, commits it alone, and returns the new commit's id. */
  async commitFile(work: string, path: string, content: string | Buffer, message: string): Promise<string> {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), content);
    await this.ok(['add', path], work);
    await this.ok(['commit', '-q', '-m', message], work);
    return (await this.ok(['rev-parse', 'HEAD'], work)).trim();
  }
}
