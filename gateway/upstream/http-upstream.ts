import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { UpstreamCredentialConfig } from '../config/config-types.js';
import { readCredentialSecret } from '../config/load-config.js';
import { isConfigError } from '../config/errors.js';
import { UpstreamError } from './errors.js';
import type { GitService, GitUpstream, RpcRequest, UpstreamRequest, UpstreamResponse } from './git-upstream.js';

/** A smart-HTTP upstream (GitHub, GitLab, git http-backend) reached with node's http client, streaming both ways. */
export class HttpUpstream implements GitUpstream {
  constructor(
    /** `https://host/owner/name.git` */
    readonly baseUrl: string,
    private readonly credential: UpstreamCredentialConfig | undefined,
    private readonly timeoutMs = 30_000,
  ) {}

  advertise(service: GitService, request: UpstreamRequest): Promise<UpstreamResponse> {
    return this.send('GET', `/info/refs?service=${service}`, this.headers(request), undefined, request.signal);
  }

  rpc(service: GitService, body: Readable, request: RpcRequest): Promise<UpstreamResponse> {
    const headers = this.headers(request);
    headers['content-type'] = `application/x-${service}-request`;
    headers['accept'] = `application/x-${service}-result`;
    if (request.contentEncoding !== undefined) headers['content-encoding'] = request.contentEncoding;
    // A known length is sent as git itself sends a body it holds whole; chunked otherwise.
    if (request.contentLength !== undefined) headers['content-length'] = String(request.contentLength);
    else headers['transfer-encoding'] = 'chunked';
    return this.send('POST', `/${service}`, headers, body, request.signal);
  }

  private headers(request: UpstreamRequest): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = { 'user-agent': request.userAgent ?? 'gitgate', pragma: 'no-cache' };
    if (request.gitProtocol !== undefined) headers['git-protocol'] = request.gitProtocol;
    if (this.credential !== undefined) {
      let secret: string;
      try {
        secret = readCredentialSecret(this.credential);
      } catch (error) {
        if (isConfigError(error)) throw new UpstreamError('UPSTREAM_CREDENTIAL_UNAVAILABLE', error.message, { cause: error });
        throw error;
      }
      headers['authorization'] = `Basic ${Buffer.from(`${this.credential.username}:${secret}`).toString('base64')}`;
    }
    return headers;
  }

  private send(method: 'GET' | 'POST', suffix: string, headers: OutgoingHttpHeaders, body: Readable | undefined, signal: AbortSignal | undefined): Promise<UpstreamResponse> {
    const url = new URL(this.baseUrl + suffix);
    const where = `${url.protocol}//${url.host}${url.pathname}`;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = send(url, { method, headers, timeout: this.timeoutMs, ...(signal === undefined ? {} : { signal }) });
      outgoing.once('timeout', () => outgoing.destroy(new UpstreamError('UPSTREAM_UNREACHABLE', `the upstream ${where} did not answer within ${this.timeoutMs / 1000} s`)));
      outgoing.once('error', (error: NodeJS.ErrnoException) => {
        // Stopped on purpose (the gateway shutting down): say so, not "cannot reach".
        if (signal?.aborted === true && signal.reason instanceof UpstreamError) reject(signal.reason);
        else if (error instanceof UpstreamError) reject(error);
        // The whole request went out: the upstream was reached, and failed before it answered.
        else if (outgoing.writableFinished) reject(new UpstreamError('UPSTREAM_FAILED', `the upstream ${where} closed the connection before answering: ${error.code ?? error.message}`, { cause: error }));
        else reject(new UpstreamError('UPSTREAM_UNREACHABLE', `cannot reach the upstream ${where}: ${error.code ?? error.message}`, { cause: error }));
      });
      outgoing.once('response', (response: IncomingMessage) => {
        resolve({ status: response.statusCode ?? 502, contentType: String(response.headers['content-type'] ?? 'application/octet-stream'), body: response });
      });
      if (body === undefined) outgoing.end();
      else pipeline(body, outgoing).catch((error: unknown) => outgoing.destroy(error instanceof Error ? error : new Error(String(error))));
    });
  }
}
