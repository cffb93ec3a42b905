import type { ResolvedRepository } from './repository-resolver.js';
import type { GitUpstream } from './git-upstream.js';
import { FileUpstream } from './file-upstream.js';
import { HttpUpstream } from './http-upstream.js';

export function upstreamFor(repository: ResolvedRepository): GitUpstream {
  return repository.kind === 'file' ? new FileUpstream(repository.gitDir) : new HttpUpstream(repository.baseUrl, repository.upstream.credential);
}
