import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { RepositoryInfo } from '../../rego/index.js';
import type { GatewayConfig } from '../config/config-types.js';
import type { GitHubApiConfig } from '../config/github-api-config.js';
import { matchesRepositoryPattern } from '../upstream/repository-resolver.js';
import { GitHubApiError } from './errors.js';

/** gh and octokit send `Authorization: token <t>`; gitgate's authenticate reads Basic and Bearer. */
export function normalizedAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^token\s+(.+)$/i.exec(header.trim());
  return match === null ? header : `Bearer ${match[1]}`;
}

/** The request body, read whole (it is checked before anything is forwarded), up to `limit` bytes. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > limit) {
    request.resume();
    throw new GitHubApiError('API_BODY_TOO_LARGE', 413, `the request body (${declared} bytes) is larger than gitgate accepts (${limit} bytes)`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      request.resume();
      throw new GitHubApiError('API_BODY_TOO_LARGE', 413, `the request body is larger than gitgate accepts (${limit} bytes)`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The JSON body; an empty body is undefined. GitHub answers malformed JSON with 400 "Problems parsing JSON". */
export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new GitHubApiError('API_BODY_INVALID', 400, 'Problems parsing JSON: gitgate checks API request bodies and accepts JSON only');
  }
}

/** Request headers passed on to GitHub; everything else (the agent's Authorization, cookies, proxies' headers) stays behind. */
const FORWARDED_HEADERS = ['accept', 'content-type', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'x-github-api-version', 'user-agent'];

export function forwardedHeaders(request: IncomingMessage, authorization: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  headers['user-agent'] = `${headers['user-agent'] ?? 'unknown-client'} via-gitgate`;
  headers['accept-encoding'] = 'identity';
  headers['authorization'] = authorization;
  return headers;
}

export interface ApiRepository {
  info: RepositoryInfo;
  /** `<git host>/owner/name`: the path of the repository for git and for approval requests. */
  path: string;
  owner: string;
  repo: string;
}

/**
 * The repository of a call when an http upstream of the config allows `<git host>/owner/repo`.
 * GitHub names are case-insensitive, so matching is too and the policy sees the name in lower case
 * (a rule about `acme/payments` also covers `ACME/Payments`).
 */
export function resolveApiRepository(config: GatewayConfig, api: GitHubApiConfig, owner: string, repo: string): ApiRepository | undefined {
  const segments = [api.gitHost, owner, repo].map((s) => s.toLowerCase());
  for (const upstream of config.upstreams) {
    if (upstream.type !== 'http') continue;
    if (!upstream.repositories.some((pattern) => matchesRepositoryPattern(pattern.toLowerCase(), segments))) continue;
    const name = `${segments[1]}/${segments[2]}`;
    return {
      info: { name, upstream: `${upstream.scheme}://${api.gitHost}/${name}.git`, default_branch: upstream.defaultBranch },
      path: `${api.gitHost}/${name}`,
      owner,
      repo,
    };
  }
  return undefined;
}

/** GitHub's error shape `{ message, documentation_url }`, plus gitgate's details. */
export function sendApiError(response: ServerResponse, status: number, message: string, documentationUrl: string, details: Record<string, unknown> = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = JSON.stringify({ message, documentation_url: documentationUrl, status: String(status), ...details });
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' });
  response.end(body);
}
