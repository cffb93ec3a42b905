import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OperationsConfig } from '../config/operations-config.js';
import { readSecretSource } from '../config/secret-source.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { GatewayHttpHandler } from './http-handler.js';

const PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** What the readiness check looks at. */
export interface GatewayState {
  draining: () => boolean;
}

/**
 * The endpoints a service manager and a load balancer ask, and Prometheus scrapes:
 * - `GET /healthz`: 200 while the process serves requests (liveness);
 * - `GET /readyz`: 200 when new requests should come here; 503 with the reasons while the gateway
 *   shuts down or while the audit log refuses appends (every request would be refused);
 * - `GET /metrics`: the Prometheus text format, for the bearer token of `metrics.token_env` /
 *   `metrics.token_file`, or without one for loopback clients only.
 * Health answers say nothing about repositories, identities or versions.
 */
export class OperationsHandler implements GatewayHttpHandler {
  readonly name = 'operations';

  constructor(
    private readonly config: OperationsConfig,
    private readonly metrics: GatewayMetrics,
    private readonly state: GatewayState,
  ) {}

  claims(method: string, url: URL): boolean {
    return (method === 'GET' || method === 'HEAD') && PATHS.has(url.pathname);
  }

  async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    request.resume();
    if (url.pathname === '/healthz') {
      sendJson(response, 200, { status: 'ok' });
      return;
    }
    if (url.pathname === '/readyz') {
      const reasons: string[] = [];
      if (this.state.draining()) reasons.push('shutting down');
      if (this.metrics.auditLogFailing) reasons.push('the audit log refuses appends');
      sendJson(response, reasons.length === 0 ? 200 : 503, reasons.length === 0 ? { ready: true } : { ready: false, reasons });
      return;
    }
    const refusal = this.metricsRefusal(request);
    if (refusal !== undefined) {
      response.writeHead(refusal.status, { 'content-type': 'text/plain; charset=utf-8', ...(refusal.status === 401 ? { 'www-authenticate': 'Bearer realm="gitgate-metrics"' } : {}) });
      response.end(`gitgate: ${refusal.message}\n`);
      return;
    }
    const text = await this.metrics.registry.metrics();
    response.writeHead(200, { 'content-type': this.metrics.registry.contentType, 'cache-control': 'no-store' });
    response.end(text);
  }

  /** Why this scrape is refused; undefined when it may read the metrics. Fails closed. */
  private metricsRefusal(request: IncomingMessage): { status: number; message: string } | undefined {
    const source = this.config.metricsToken;
    if (source === undefined) {
      if (isLoopback(request.socket.remoteAddress)) return undefined;
      return { status: 403, message: '/metrics answers loopback clients only; set metrics.token_env or metrics.token_file in gitgate.yaml to let a scraper in with a bearer token' };
    }
    let expected = '';
    try {
      expected = readSecretSource(source, (reason) => new Error(reason));
    } catch {
      // unset or unreadable: closed, as an empty file is
    }
    if (expected === '') {
      return { status: 503, message: `the metrics token (${source.kind === 'env' ? `$${source.name}` : source.path}) is not available, so /metrics is closed` };
    }
    const header = request.headers.authorization ?? '';
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (presented === undefined || !sameSecret(presented, expected)) return { status: 401, message: '/metrics needs the metrics bearer token' };
    return undefined;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(`${JSON.stringify(body)}\n`);
}

/** Compares digests, so that neither the length nor the content leaks through timing. */
function sameSecret(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}
