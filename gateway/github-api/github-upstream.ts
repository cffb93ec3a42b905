import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { GitHubApiError } from './errors.js';

export interface UpstreamCall {
  method: string;
  /** Path below the API base URL, with its query string, e.g. `/repos/acme/app/pulls/1`. */
  path: string;
  headers: OutgoingHttpHeaders;
  body?: Buffer | undefined;
}

/** The GitHub REST API (api.github.com or a GHES `/api/v3` base) reached with node's http client. */
export class GitHubUpstream {
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.base = new URL(baseUrl);
  }

  /** `https://api.github.com` (or the GHES base), for rewriting links; no trailing slash. */
  get baseUrl(): string {
    return `${this.base.origin}${this.base.pathname.replace(/\/+$/, '')}`;
  }

  /** Sends the call; the response body streams. Rejects only when no response came. */
  send(call: UpstreamCall): Promise<IncomingMessage> {
    const url = new URL(this.baseUrl + call.path);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const where = `${url.protocol}//${url.host}`;
    const headers: OutgoingHttpHeaders = { ...call.headers };
    if (call.body !== undefined) headers['content-length'] = String(call.body.length);
    return new Promise((resolve, reject) => {
      const outgoing = send(url, { method: call.method, headers, timeout: this.timeoutMs });
      outgoing.once('timeout', () =>
        outgoing.destroy(new GitHubApiError('API_UPSTREAM_UNREACHABLE', 504, `GitHub (${where}) did not answer within ${this.timeoutMs / 1000} s; try again later`)),
      );
      outgoing.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          error instanceof GitHubApiError
            ? error
            : new GitHubApiError('API_UPSTREAM_UNREACHABLE', 502, `gitgate cannot reach GitHub (${where}): ${error.code ?? error.message}; try again later`, { cause: error }),
        );
      });
      outgoing.once('response', resolve);
      outgoing.end(call.body);
    });
  }

  /** A JSON call made by the gateway itself (a lookup): the parsed body and the status. */
  async json(method: string, path: string, authorization: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const headers: OutgoingHttpHeaders = {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'gitgate',
      authorization,
      'accept-encoding': 'identity',
    };
    let payload: Buffer | undefined;
    if (body !== undefined) {
      payload = Buffer.from(JSON.stringify(body));
      headers['content-type'] = 'application/json';
    }
    const response = await this.send({ method, path, headers, body: payload });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response) {
      size += (chunk as Buffer).length;
      if (size > 8 * 1024 * 1024) {
        response.destroy();
        throw new GitHubApiError('API_UPSTREAM_FAILED', 502, `GitHub's answer to ${method} ${path.split('?')[0]} was larger than gitgate reads for a lookup`);
      }
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return { status: response.statusCode ?? 502, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    } catch {
      throw new GitHubApiError('API_UPSTREAM_FAILED', 502, `GitHub answered ${method} ${path.split('?')[0]} with HTTP ${response.statusCode} and a body that is not JSON`);
    }
  }
}
