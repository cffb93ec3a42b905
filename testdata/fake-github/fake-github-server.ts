import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InstallationTokens, verifyAppJwt, type FakeGitHubApp } from './fake-github-auth.js';
import { createFakeRepository, repositoryJson, userJson, type FakeRepository, type NewFakeRepository } from './fake-github-state.js';
import { DOCS, fakeGitHubRoutes, HttpFailure, type Call, type Json } from './fake-github-routes.js';

/**
 * A stand-in for the GitHub REST API (no GitHub is reachable in tests), following the request and
 * response shapes of GitHub's REST reference for the endpoints gitgate's tests use: repositories,
 * pull requests and merges, contents, git refs/blobs/trees/commits, branches and protection,
 * issues and comments, and the GitHub App installation-token exchange with a real RS256 JWT.
 * Every response carries rate-limit headers; lists paginate with `Link`; GETs have an ETag and
 * answer `If-None-Match` with 304.
 */
export interface FakeGitHubOptions {
  /** Personal access tokens accepted as `Authorization: token <t>` / `Bearer <t>`. */
  tokens?: string[];
  app?: FakeGitHubApp;
  repositories: NewFakeRepository[];
  /** Serve under this path (GHES serves the API under `/api/v3`). */
  pathPrefix?: string;
  /** Largest `per_page` of lists (GitHub's is 100; benchmarks ask for more). */
  maxPerPage?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** How the request authenticated. */
  auth: 'token' | 'installation' | 'jwt' | 'none' | 'invalid';
  authorization: string | undefined;
  body: string;
}

export interface FakeGitHub {
  /** `http://127.0.0.1:<port>` plus the path prefix: the API base URL. */
  baseUrl: string;
  /** `127.0.0.1:<port>` */
  host: string;
  requests: RecordedRequest[];
  repository(fullName: string): FakeRepository;
  tokens: InstallationTokens | undefined;
  close(): Promise<void>;
}

export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const prefix = options.pathPrefix ?? '';
  const repositories = new Map<string, FakeRepository>();
  options.repositories.forEach((spec, i) => repositories.set(`${spec.owner}/${spec.name}`.toLowerCase(), createFakeRepository(spec, 100 + i)));
  const requests: RecordedRequest[] = [];
  const tokens = options.app === undefined ? undefined : new InstallationTokens(options.app);
  const staticTokens = new Set(options.tokens ?? []);
  let origin = '';
  let used = 0;

  const send = (response: ServerResponse, status: number, json: Json | undefined, headers: Record<string, string> = {}): void => {
    used += 1;
    const common: Record<string, string> = {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(5000 - used),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-used': String(used),
      'x-ratelimit-resource': 'core',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': `FAKE:${used}`,
    };
    if (json === undefined) {
      response.writeHead(status, { ...common, ...headers });
      response.end();
      return;
    }
    const text = JSON.stringify(json);
    response.writeHead(status, { ...common, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
    response.end(text);
  };

  /** GETs: a strong ETag of the body; a matching If-None-Match gets 304 without a body. */
  const sendCacheable = (call: Call, json: Json, headers: Record<string, string> = {}): void => {
    const etag = `"${createHash('sha256').update(JSON.stringify(json)).digest('hex').slice(0, 32)}"`;
    const condition = call.request.headers['if-none-match'];
    if (condition !== undefined && condition.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      send(call.response, 304, undefined, { etag, ...headers });
      return;
    }
    send(call.response, 200, json, { etag, 'cache-control': 'private, max-age=60, s-maxage=60', ...headers });
  };

  const routes = fakeGitHubRoutes({
    get origin() {
      return origin;
    },
    get used() {
      return used;
    },
    countCall: () => void (used += 1),
    repositories,
    maxPerPage: options.maxPerPage,
    send,
    sendCacheable,
  });

  const authenticate = async (call: Call, path: string): Promise<RecordedRequest['auth']> => {
    const header = call.request.headers.authorization;
    if (header === undefined) return 'none';
    const [scheme, value = ''] = header.split(' ', 2);
    if (!/^(token|bearer)$/i.test(scheme ?? '')) return 'invalid';
    if (path.startsWith('/app/') || /^\/repos\/[^/]+\/[^/]+\/installation$/.test(path)) {
      if (options.app === undefined) return 'invalid';
      const check = await verifyAppJwt(options.app, value, Date.now());
      if (!check.ok) throw new HttpFailure(401, check.message);
      return 'jwt';
    }
    if (staticTokens.has(value)) return 'token';
    const installation = tokens?.valid(value, Date.now());
    if (installation === undefined) return 'invalid';
    // A token scoped to some repositories cannot see the others: GitHub answers 404.
    if (call.repo !== undefined && installation.repositories !== undefined && !installation.repositories.includes(`${call.repo.owner}/${call.repo.name}`)) {
      throw new HttpFailure(404, 'Not Found');
    }
    return 'installation';
  };

  const appRoutes = async (call: Call, path: string): Promise<boolean> => {
    const app = options.app;
    if (app === undefined) return false;
    const exchange = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    if (call.method === 'POST' && exchange !== null) {
      if (Number(exchange[1]) !== app.installationId) throw new HttpFailure(404, 'Not Found');
      const names = call.body !== undefined && !Array.isArray(call.body) && Array.isArray(call.body['repositories']) ? (call.body['repositories'] as string[]) : undefined;
      const owner = app.repositories[0]?.split('/')[0] ?? '';
      const scoped = names?.map((n) => `${owner}/${n}`);
      if (scoped !== undefined && scoped.some((r) => !app.repositories.includes(r))) {
        throw new HttpFailure(422, 'There is at least one repository that does not exist or is not accessible to the parent installation.');
      }
      const issued = tokens!.issue(Date.now(), scoped);
      send(call.response, 201, {
        token: issued.token,
        expires_at: new Date(issued.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions: { contents: 'write', pull_requests: 'write', issues: 'write', metadata: 'read' },
        repository_selection: scoped === undefined ? 'all' : 'selected',
        ...(scoped === undefined ? {} : { repositories: scoped.map((r) => repositoryJson(origin, repositories.get(r.toLowerCase())!)) }),
      });
      return true;
    }
    const installation = /^\/repos\/([^/]+\/[^/]+)\/installation$/.exec(path);
    if (call.method === 'GET' && installation !== null) {
      if (call.repo === undefined || !app.repositories.includes(`${call.repo.owner}/${call.repo.name}`)) throw new HttpFailure(404, 'Not Found');
      send(call.response, 200, { id: app.installationId, app_id: Number(app.appId), account: userJson(origin, call.repo.owner, 3), target_type: 'Organization', repository_selection: 'selected' });
      return true;
    }
    return false;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const record: RecordedRequest = { method: request.method ?? 'GET', path: url.pathname, auth: 'none', authorization: request.headers.authorization, body: text };
    requests.push(record);
    try {
      if (!url.pathname.startsWith(prefix)) throw new HttpFailure(404, 'Not Found');
      const path = url.pathname.slice(prefix.length);
      let body: Json | undefined;
      try {
        body = text === '' ? undefined : (JSON.parse(text) as Json);
      } catch {
        throw new HttpFailure(400, 'Problems parsing JSON');
      }
      const segments = path.split('/').slice(1);
      const repo = segments[0] === 'repos' && segments.length >= 3 ? repositories.get(`${segments[1]}/${segments[2]}`.toLowerCase()) : undefined;
      const call: Call = { method: record.method, segments, query: url.searchParams, body, request, response, repo };
      record.auth = await authenticate(call, path);
      if (record.auth === 'invalid') throw new HttpFailure(401, 'Bad credentials');
      if (await appRoutes(call, path)) return;
      if (record.auth === 'none' || record.auth === 'jwt') throw new HttpFailure(record.auth === 'jwt' ? 403 : 401, record.auth === 'jwt' ? 'A JSON web token cannot be used to access this endpoint' : 'Requires authentication');
      for (const [method, pattern, run] of routes) {
        const match = pattern.exec(path);
        if (match !== null && (method === call.method || (method === 'GET' && call.method === 'HEAD'))) {
          await run(call, match);
          return;
        }
      }
      throw new HttpFailure(404, 'Not Found');
    } catch (error) {
      if (error instanceof HttpFailure) send(response, error.status, { message: error.message, documentation_url: DOCS, status: String(error.status) });
      else send(response, 500, { message: `fake GitHub failed: ${(error as Error).message}` });
    }
  };

  const server: Server = createServer((request, response) => void handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}${prefix}`;
  return {
    baseUrl: origin,
    host: `127.0.0.1:${port}`,
    requests,
    tokens,
    repository: (fullName) => {
      const repo = repositories.get(fullName.toLowerCase());
      if (repo === undefined) throw new Error(`fake GitHub has no repository ${fullName}`);
      return repo;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
