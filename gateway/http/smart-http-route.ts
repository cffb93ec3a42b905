import type { GitService } from '../upstream/git-upstream.js';

/** One smart-HTTP request: which repository, which service, advertisement or RPC. */
export interface SmartHttpRoute {
  repositoryPath: string;
  service: GitService;
  phase: 'advertisement' | 'rpc';
}

export type RouteProblem = { status: 404 | 403 | 405; message: string };

const PATH = /^\/(.+?)\/(info\/refs|git-upload-pack|git-receive-pack)$/;

/** Parses `/<repo>.git/info/refs?service=...` and `/<repo>.git/git-(upload|receive)-pack`. */
export function routeOf(method: string, url: string): SmartHttpRoute | RouteProblem {
  const parsed = new URL(url, 'http://gateway.invalid');
  const match = PATH.exec(decodeURIComponent(parsed.pathname));
  if (match === null) return { status: 404, message: 'gitgate serves git repositories at /<owner>/<name>.git; this path is not one' };
  const repositoryPath = match[1]!.replace(/\.git$/, '');
  if (repositoryPath.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return { status: 404, message: 'not a repository path' };
  }
  if (match[2] === 'info/refs') {
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, message: 'info/refs takes GET' };
    const service = parsed.searchParams.get('service');
    if (service !== 'git-upload-pack' && service !== 'git-receive-pack') {
      return { status: 403, message: 'gitgate speaks the smart HTTP protocol only; use git 1.6.6 or newer' };
    }
    return { repositoryPath, service, phase: 'advertisement' };
  }
  if (method !== 'POST') return { status: 405, message: `${match[2]} takes POST` };
  return { repositoryPath, service: match[2] as GitService, phase: 'rpc' };
}
