import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpBackendServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** `127.0.0.1:<port>`: the host segment of gateway repository paths. */
  host: string;
  /** Authorization headers seen, for checking what the gateway sent. */
  authorizations: (string | undefined)[];
  /** How each POST's body was framed: with a Content-Length, or chunked. */
  posts: { path: string; framing: 'content-length' | 'chunked' }[];
  /** Cuts every open connection (git keeps running what it was asked): an upstream failing mid-request, for tests. */
  cutConnections(): void;
  close(): Promise<void>;
}

/** Splits CGI output into its header block and the body that follows the blank line. */
function splitCgiHeaders(buffer: Buffer): { headers: Map<string, string>; rest: Buffer } | undefined {
  let end = buffer.indexOf('\r\n\r\n');
  let separator = 4;
  const lf = buffer.indexOf('\n\n');
  if (lf >= 0 && (end < 0 || lf < end)) {
    end = lf;
    separator = 2;
  }
  if (end < 0) return undefined;
  const headers = new Map<string, string>();
  for (const line of buffer.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, rest: buffer.subarray(end + separator) };
}

export interface HttpBackendOptions {
  /** Requests without exactly this `user:password` get 401. */
  basicAuth?: string;
  /** Awaited before each request is served (its body waits unread): a slow upstream, for tests. */
  holdRequest?: (request: IncomingMessage) => Promise<void>;
}

/**
 * The real `git http-backend` (CGI) behind a small node HTTP server: an upstream like a git host,
 * serving the bare repositories under `projectRoot`, pushes enabled.
 */
export async function startHttpBackend(projectRoot: string, options: HttpBackendOptions = {}): Promise<HttpBackendServer> {
  const authorizations: (string | undefined)[] = [];
  const posts: HttpBackendServer['posts'] = [];
  const expected = options.basicAuth === undefined ? undefined : `Basic ${Buffer.from(options.basicAuth).toString('base64')}`;
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    if (options.holdRequest === undefined) serve(request, response);
    else void options.holdRequest(request).then(() => serve(request, response));
  };
  const serve = (request: IncomingMessage, response: ServerResponse): void => {
    if (request.destroyed) return; // the client left while the request was held
    authorizations.push(request.headers.authorization);
    if (request.method === 'POST') posts.push({ path: request.url ?? '', framing: request.headers['content-length'] !== undefined ? 'content-length' : 'chunked' });
    if (expected !== undefined && request.headers.authorization !== expected) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="backend"', 'content-type': 'text/plain' });
      response.end('backend: authentication required\n');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://backend.invalid');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: request.method ?? 'GET',
      CONTENT_TYPE: request.headers['content-type'] ?? '',
      REMOTE_USER: 'gateway',
      REMOTE_ADDR: request.socket.remoteAddress ?? '',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
    };
    if (request.headers['content-encoding'] !== undefined) env['HTTP_CONTENT_ENCODING'] = String(request.headers['content-encoding']);
    if (request.headers['content-length'] !== undefined) env['CONTENT_LENGTH'] = String(request.headers['content-length']);
    if (request.headers['git-protocol'] !== undefined) env['GIT_PROTOCOL'] = String(request.headers['git-protocol']);
    const child = spawn('git', ['-c', 'http.receivepack=true', 'http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    // A client that leaves before its whole body was sent must not leave git waiting for the rest.
    request.once('close', () => {
      if (!request.complete) child.kill();
    });
    request.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    let head: Buffer | undefined = Buffer.alloc(0);
    child.stdout.on('data', (chunk: Buffer) => {
      if (head === undefined) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const parsed = splitCgiHeaders(head);
      if (parsed === undefined) return;
      head = undefined;
      const status = Number(parsed.headers.get('status')?.split(' ')[0] ?? 200);
      parsed.headers.delete('status');
      response.writeHead(status, Object.fromEntries(parsed.headers));
      if (parsed.rest.length > 0) response.write(parsed.rest);
    });
    child.once('close', () => {
      if (head !== undefined && !response.headersSent) response.writeHead(500).end('http-backend produced no headers\n');
      else response.end();
    });
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    authorizations,
    posts,
    cutConnections: () => server.closeAllConnections(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
