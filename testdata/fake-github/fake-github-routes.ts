import type { IncomingMessage, ServerResponse } from 'node:http';
import { blobSha, contentJson, fakeSha, pullCommitsJson, pullFilesJson, pullJson, repositoryJson, userJson, type FakeRepository } from './fake-github-state.js';

/** The REST endpoints of the fake GitHub, from GitHub's REST reference; see fake-github-server.ts. */
export const DOCS = 'https://docs.github.com/rest';
export type Json = Record<string, unknown> | unknown[];

export interface Call {
  method: string;
  segments: string[];
  query: URLSearchParams;
  body: Json | undefined;
  request: IncomingMessage;
  response: ServerResponse;
  repo: FakeRepository | undefined;
}

/** An answer in GitHub's error shape (`message`, `documentation_url`, `status`). */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RouteContext {
  /** The API base URL (known once the server listens). */
  readonly origin: string;
  /** Calls answered so far (rate-limit headers count them). */
  readonly used: number;
  countCall(): void;
  repositories: Map<string, FakeRepository>;
  maxPerPage: number | undefined;
  send(response: ServerResponse, status: number, json: Json | undefined, headers?: Record<string, string>): void;
  /** GETs: a strong ETag of the body; a matching If-None-Match gets 304 without a body. */
  sendCacheable(call: Call, json: Json, headers?: Record<string, string>): void;
}

export type Route = [method: string, pattern: RegExp, run: (call: Call, match: RegExpExecArray) => void | Promise<void>];

export const repoOf = (call: Call): FakeRepository => {
  if (call.repo === undefined) throw new HttpFailure(404, 'Not Found');
  return call.repo;
};
export const branchFiles = (repo: FakeRepository, branch: string): Map<string, Buffer> => {
  const files = repo.files.get(branch);
  if (files === undefined) throw new HttpFailure(404, `No commit found for the ref ${branch}`);
  return files;
};
export const str = (body: Json | undefined, key: string): string | undefined => {
  const value = body !== undefined && !Array.isArray(body) ? body[key] : undefined;
  return typeof value === 'string' ? value : undefined;
};

export function fakeGitHubRoutes(ctx: RouteContext): Route[] {
  return [
    ['GET', /^\/rate_limit$/, (c) => ctx.send(c.response, 200, { resources: { core: { limit: 5000, used: ctx.used, remaining: 5000 - ctx.used } } })],
    ['GET', /^\/user$/, (c) => ctx.send(c.response, 200, userJson(ctx.origin, 'gateway-bot', 1))],
    ['GET', /^\/repos\/[^/]+\/[^/]+$/, (c) => ctx.sendCacheable(c, repositoryJson(ctx.origin, repoOf(c)))],
    [
      'DELETE',
      /^\/repos\/[^/]+\/[^/]+$/,
      (c) => {
        const repo = repoOf(c);
        ctx.repositories.delete(`${repo.owner}/${repo.name}`.toLowerCase());
        ctx.send(c.response, 204, undefined);
      },
    ],
    [
      'GET',
      /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/,
      (c, m) => {
        const repo = repoOf(c);
        const pull = repo.pulls.get(Number(m[1]));
        if (pull === undefined) throw new HttpFailure(404, 'Not Found');
        ctx.sendCacheable(c, pullJson(ctx.origin, repo, pull));
      },
    ],
    [
      'GET',
      /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/(commits|files)$/,
      (c, m) => {
        const repo = repoOf(c);
        const pull = repo.pulls.get(Number(m[1]));
        if (pull === undefined) throw new HttpFailure(404, 'Not Found');
        ctx.sendCacheable(c, m[2] === 'commits' ? pullCommitsJson(repo, pull) : pullFilesJson(repo, pull));
      },
    ],
    [
      'PUT',
      /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/merge$/,
      (c, m) => {
        const repo = repoOf(c);
        const pull = repo.pulls.get(Number(m[1]));
        if (pull === undefined) throw new HttpFailure(404, 'Not Found');
        if (pull.merged) throw new HttpFailure(405, 'Pull Request is not mergeable');
        const sha = str(c.body, 'sha');
        if (sha !== undefined && sha !== pull.headSha) throw new HttpFailure(409, 'Head branch was modified. Review and try the merge again.');
        const mergeSha = fakeSha(`merge ${pull.number}`);
        pull.merged = true;
        pull.state = 'closed';
        pull.mergeCommitSha = mergeSha;
        repo.branches.set(pull.base, mergeSha);
        ctx.send(c.response, 200, { sha: mergeSha, merged: true, message: 'Pull Request successfully merged' });
      },
    ],
    [
      'GET',
      /^\/repos\/[^/]+\/[^/]+\/contents\/(.+)$/,
      (c, m) => {
        const repo = repoOf(c);
        const ref = c.query.get('ref') ?? repo.defaultBranch;
        const path = decodeURIComponent(m[1]!);
        const content = branchFiles(repo, ref).get(path);
        if (content === undefined) throw new HttpFailure(404, 'Not Found');
        if ((c.request.headers.accept ?? '').includes('application/vnd.github.raw')) {
          // The raw media type: the file itself instead of JSON.
          ctx.countCall();
          c.response.writeHead(200, { 'content-type': 'application/vnd.github.raw; charset=utf-8', 'content-length': String(content.length), 'x-ratelimit-limit': '5000' });
          c.response.end(content);
          return;
        }
        ctx.sendCacheable(c, contentJson(ctx.origin, repo, path, content, ref));
      },
    ],
    [
      'PUT',
      /^\/repos\/[^/]+\/[^/]+\/contents\/(.+)$/,
      (c, m) => {
        const repo = repoOf(c);
        const path = decodeURIComponent(m[1]!);
        const message = str(c.body, 'message');
        const encoded = str(c.body, 'content');
        if (message === undefined || encoded === undefined) throw new HttpFailure(422, 'Invalid request.\n\n"message" and "content" are required.');
        const branch = str(c.body, 'branch') ?? repo.defaultBranch;
        const files = branchFiles(repo, branch);
        const existing = files.get(path);
        if (existing !== undefined && str(c.body, 'sha') !== blobSha(existing)) throw new HttpFailure(409, `${path} does not match ${str(c.body, 'sha') ?? '(no sha given)'}`);
        const content = Buffer.from(encoded, 'base64');
        files.set(path, content);
        const commitSha = fakeSha(`contents ${path}`);
        repo.branches.set(branch, commitSha);
        const { content: _omitted, encoding: _e, ...meta } = contentJson(ctx.origin, repo, path, content, branch);
        ctx.send(c.response, existing === undefined ? 201 : 200, { content: meta, commit: { sha: commitSha, message, url: `${ctx.origin}/repos/${repo.owner}/${repo.name}/git/commits/${commitSha}` } });
      },
    ],
    [
      'GET',
      /^\/repos\/[^/]+\/[^/]+\/issues$/,
      (c) => {
        const repo = repoOf(c);
        const perPage = Math.min(ctx.maxPerPage ?? 100, Math.max(1, Number(c.query.get('per_page') ?? '30') || 30));
        const page = Math.max(1, Number(c.query.get('page') ?? '1') || 1);
        const last = Math.max(1, Math.ceil(repo.issues.length / perPage));
        const items = repo.issues.slice((page - 1) * perPage, page * perPage).map((issue) => ({
          url: `${ctx.origin}/repos/${repo.owner}/${repo.name}/issues/${issue.number}`,
          number: issue.number,
          title: issue.title,
          body: issue.body,
          state: 'open',
          user: userJson(ctx.origin, 'octocat', 2),
        }));
        // Like GitHub, pagination links name the repository by id.
        const link = (p: number) => `<${ctx.origin}/repositories/${repo.id}/issues?per_page=${perPage}&page=${p}>`;
        const links: string[] = [];
        if (page > 1) links.push(`${link(page - 1)}; rel="prev"`);
        if (page < last) links.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
        if (page > 1) links.push(`${link(1)}; rel="first"`);
        ctx.sendCacheable(c, items, links.length > 0 ? { link: links.join(', ') } : {});
      },
    ],
    [
      'POST',
      /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/,
      (c, m) => {
        const repo = repoOf(c);
        const body = str(c.body, 'body');
        if (body === undefined) throw new HttpFailure(422, 'Invalid request.\n\n"body" wasn\'t supplied.');
        ctx.send(c.response, 201, { id: 5000 + Number(m[1]), body, url: `${ctx.origin}/repos/${repo.owner}/${repo.name}/issues/comments/${5000 + Number(m[1])}`, user: userJson(ctx.origin, 'gateway-bot', 1) });
      },
    ],
    [
      'GET',
      /^\/repos\/[^/]+\/[^/]+\/branches\/(.+)\/protection$/,
      (c, m) => {
        const repo = repoOf(c);
        if (!repo.protectedBranches.has(decodeURIComponent(m[1]!))) throw new HttpFailure(404, 'Branch not protected');
        ctx.sendCacheable(c, { url: `${ctx.origin}/repos/${repo.owner}/${repo.name}/branches/${m[1]}/protection`, enforce_admins: { enabled: true } });
      },
    ],
    [
      'PUT',
      /^\/repos\/[^/]+\/[^/]+\/branches\/(.+)\/protection$/,
      (c, m) => {
        const repo = repoOf(c);
        repo.protectedBranches.delete(decodeURIComponent(m[1]!));
        ctx.send(c.response, 200, { url: `${ctx.origin}/repos/${repo.owner}/${repo.name}/branches/${m[1]}/protection` });
      },
    ],
    [
      'GET',
      /^\/repos\/[^/]+\/[^/]+\/branches\/(.+)$/,
      (c, m) => {
        const repo = repoOf(c);
        const name = decodeURIComponent(m[1]!);
        const sha = repo.branches.get(name);
        if (sha === undefined) throw new HttpFailure(404, 'Branch not found');
        ctx.sendCacheable(c, { name, commit: { sha, url: `${ctx.origin}/repos/${repo.owner}/${repo.name}/commits/${sha}` }, protected: repo.protectedBranches.has(name) });
      },
    ],
    [
      'POST',
      /^\/repos\/[^/]+\/[^/]+\/git\/blobs$/,
      (c) => {
        const repo = repoOf(c);
        const content = str(c.body, 'content');
        if (content === undefined) throw new HttpFailure(422, 'Invalid request.\n\n"content" wasn\'t supplied.');
        const bytes = Buffer.from(content, str(c.body, 'encoding') === 'base64' ? 'base64' : 'utf8');
        const sha = blobSha(bytes);
        ctx.send(c.response, 201, { sha, url: `${ctx.origin}/repos/${repo.owner}/${repo.name}/git/blobs/${sha}` });
      },
    ],
    [
      'POST',
      /^\/repos\/[^/]+\/[^/]+\/git\/(trees|commits)$/,
      (c, m) => {
        const repo = repoOf(c);
        const sha = fakeSha(`${m[1]} ${JSON.stringify(c.body)}`);
        ctx.send(c.response, 201, { sha, url: `${ctx.origin}/repos/${repo.owner}/${repo.name}/git/${m[1]}/${sha}` });
      },
    ],
    [
      'PATCH',
      /^\/repos\/[^/]+\/[^/]+\/git\/refs\/heads\/(.+)$/,
      (c, m) => {
        const repo = repoOf(c);
        const branch = decodeURIComponent(m[1]!);
        const sha = str(c.body, 'sha');
        if (sha === undefined || !repo.branches.has(branch)) throw new HttpFailure(422, 'Reference does not exist');
        repo.branches.set(branch, sha);
        ctx.send(c.response, 200, { ref: `refs/heads/${branch}`, object: { sha, type: 'commit' } });
      },
    ],
  ];
}
