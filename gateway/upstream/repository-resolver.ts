import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FileUpstreamConfig, GatewayConfig, HttpUpstreamConfig } from '../config/config-types.js';

/** A repository the gateway may serve, and where its upstream is. */
export type ResolvedRepository = FileRepository | HttpRepository;

interface RepositoryBase {
  /** The path clients use, without `.git` (`acme/app`, or `github.com/acme/app` for http upstreams). */
  path: string;
  /** `owner/name` as policies see it. */
  name: string;
  defaultBranch: string;
  /** The upstream's location for the policy input and messages (never with a credential). */
  upstreamUrl: string;
}

export interface FileRepository extends RepositoryBase {
  kind: 'file';
  upstream: FileUpstreamConfig;
  gitDir: string;
}

export interface HttpRepository extends RepositoryBase {
  kind: 'http';
  upstream: HttpUpstreamConfig;
  /** `https://github.com/acme/app.git`: smart-HTTP endpoints are below it. */
  baseUrl: string;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const HOST_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9.-]*(:\d{1,5})?$/;

/** `*` matches one path segment; everything else matches itself. */
export function matchesRepositoryPattern(pattern: string, segments: readonly string[]): boolean {
  const parts = pattern.split('/');
  return parts.length === segments.length && parts.every((part, i) => part === '*' || part === segments[i]);
}

function defaultBranchOf(gitDir: string): string {
  try {
    const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
    return head.startsWith('ref: refs/heads/') ? head.slice('ref: refs/heads/'.length) : 'main';
  } catch {
    return 'main';
  }
}

function isBareRepository(gitDir: string): boolean {
  try {
    return statSync(gitDir).isDirectory() && existsSync(join(gitDir, 'HEAD')) && existsSync(join(gitDir, 'objects'));
  } catch {
    return false;
  }
}

/**
 * Maps a requested repository path to its configured upstream, or undefined: a path that no
 * upstream allows is refused, so the gateway is never an open proxy.
 */
export function resolveRepository(config: GatewayConfig, requestedPath: string): ResolvedRepository | undefined {
  const path = requestedPath.replace(/\.git$/, '');
  const segments = path.split('/');
  if (segments.length === 0 || segments.length > 4) return undefined;
  for (const upstream of config.upstreams) {
    if (upstream.type === 'file') {
      if (!segments.every((s) => SEGMENT.test(s) && !s.endsWith('.lock'))) continue;
      if (!upstream.repositories.some((p) => matchesRepositoryPattern(p, segments))) continue;
      const gitDir = join(upstream.path, `${path}.git`);
      if (!isBareRepository(gitDir)) continue;
      return { kind: 'file', path, name: path, defaultBranch: defaultBranchOf(gitDir), upstreamUrl: `file://${gitDir}`, upstream, gitDir };
    }
    const [host, ...rest] = segments;
    if (host === undefined || rest.length < 2 || !HOST_SEGMENT.test(host) || !rest.every((s) => SEGMENT.test(s))) continue;
    if (!upstream.repositories.some((p) => matchesRepositoryPattern(p, segments))) continue;
    const baseUrl = `${upstream.scheme}://${host}/${rest.join('/')}.git`;
    return { kind: 'http', path, name: rest.join('/'), defaultBranch: upstream.defaultBranch, upstreamUrl: baseUrl, upstream, baseUrl };
  }
  return undefined;
}
