import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCredentialSecret } from '../config/load-config.js';
import { isConfigError } from '../config/errors.js';
import { runGitProcess } from '../git/git-launcher.js';
import { gitCommandOf } from '../git/git-run.js';
import { UpstreamError } from './errors.js';
import type { HttpRepository } from './repository-resolver.js';

async function runGit(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const result = await runGitProcess(args, { env });
  if (result.code !== 0) throw new Error(result.stderr.trim().split('\n').slice(-2).join(' ') || `git ${gitCommandOf(args)} failed (${result.signal ?? `exit ${result.code}`})`);
}

/**
 * A local bare copy of each http upstream repository, fetched with the gateway's credential
 * before a push is inspected: it supplies thin-pack bases, old trees and ancestry. Updates of one
 * mirror are serialised; readers may use it while a fetch runs (git adds objects before refs).
 */
export class UpstreamMirrors {
  private readonly running = new Map<string, Promise<string>>();

  constructor(private readonly root: string) {}

  gitDirOf(repository: HttpRepository): string {
    return join(this.root, `${repository.path.replace(/:/g, '_')}.git`);
  }

  /** Whether the mirror has been created (it may be behind the upstream). */
  exists(repository: HttpRepository): boolean {
    return existsSync(join(this.gitDirOf(repository), 'HEAD')) && existsSync(join(this.gitDirOf(repository), 'gitgate-mirror'));
  }

  /** Fetches the upstream's branches and tags into the mirror and returns its git dir. */
  refresh(repository: HttpRepository): Promise<string> {
    const gitDir = this.gitDirOf(repository);
    const previous = this.running.get(gitDir) ?? Promise.resolve(gitDir);
    const next = previous.catch(() => gitDir).then(() => this.fetch(repository, gitDir));
    this.running.set(gitDir, next);
    void next.finally(() => {
      if (this.running.get(gitDir) === next) this.running.delete(gitDir);
    }).catch(() => undefined);
    return next;
  }

  private async fetch(repository: HttpRepository, gitDir: string): Promise<string> {
    const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '' };
    delete env['GIT_DIR'];
    if (repository.upstream.credential !== undefined) {
      let secret: string;
      try {
        secret = readCredentialSecret(repository.upstream.credential);
      } catch (error) {
        if (isConfigError(error)) throw new UpstreamError('UPSTREAM_CREDENTIAL_UNAVAILABLE', error.message, { cause: error });
        throw error;
      }
      // In the environment, not on the command line: other users can read process arguments.
      const basic = Buffer.from(`${repository.upstream.credential.username}:${secret}`).toString('base64');
      Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` });
    }
    try {
      if (!existsSync(join(gitDir, 'HEAD'))) {
        mkdirSync(gitDir, { recursive: true });
        await runGit(['init', '-q', '--bare', gitDir], env);
      }
      await runGit(
        ['--git-dir', gitDir, 'fetch', '-q', '--prune', '--no-tags', repository.baseUrl, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'],
        env,
      );
      // Marks a mirror that has been fetched completely once (an interrupted first fetch is redone).
      writeFileSync(join(gitDir, 'gitgate-mirror'), `${repository.upstreamUrl}\n`);
    } catch (error) {
      throw new UpstreamError('UPSTREAM_UNREACHABLE', `cannot update the local mirror of ${repository.upstreamUrl}: ${(error as Error).message}`, { cause: error });
    }
    return gitDir;
  }
}
