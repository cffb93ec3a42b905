import type { ApprovalDetail } from './approval-service.js';
import type { ApprovalFileContent, ApprovalRequest } from './approval-types.js';

/** An error answer of the approvals API, with its stable code. */
export class ApprovalsClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApprovalsClientError';
  }
}

export interface ApprovalsClientOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** A static token or an OIDC JWT, sent as Bearer. */
  token: string;
}

/** A small client of a running gateway's `/api/approvals` (the CLI and tests use it). */
export class ApprovalsClient {
  constructor(private readonly options: ApprovalsClientOptions) {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 60_000): Promise<T> {
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/api/approvals${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? (error as Error).message;
      throw new ApprovalsClientError(0, 'GATEWAY_UNREACHABLE', `cannot reach the gateway at ${this.options.baseUrl}: ${cause}`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApprovalsClientError(response.status, 'BAD_RESPONSE', `the gateway answered HTTP ${response.status} without JSON (is ${this.options.baseUrl} a gitgate gateway?)`);
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string } }).error;
      throw new ApprovalsClientError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? `HTTP ${response.status}`);
    }
    return json as T;
  }

  async list(filter: { state?: string; repository?: string; limit?: number } = {}): Promise<ApprovalRequest[]> {
    const query = new URLSearchParams();
    if (filter.state !== undefined) query.set('state', filter.state);
    if (filter.repository !== undefined) query.set('repository', filter.repository);
    if (filter.limit !== undefined) query.set('limit', String(filter.limit));
    const q = query.toString();
    return (await this.call<{ approvals: ApprovalRequest[] }>('GET', q === '' ? '' : `?${q}`)).approvals;
  }

  async show(id: string): Promise<{ approval: ApprovalRequest; progress: ApprovalDetail['progress']; can: ApprovalDetail['can'] }> {
    return this.call('GET', `/${encodeURIComponent(id)}`);
  }

  async files(id: string): Promise<ApprovalFileContent[]> {
    return (await this.call<{ files: ApprovalFileContent[] }>('GET', `/${encodeURIComponent(id)}/files`)).files;
  }

  async approve(id: string, reason?: string): Promise<ApprovalRequest> {
    return (await this.call<{ approval: ApprovalRequest }>('POST', `/${encodeURIComponent(id)}/approve`, reason === undefined ? {} : { reason })).approval;
  }

  async deny(id: string, reason: string): Promise<ApprovalRequest> {
    return (await this.call<{ approval: ApprovalRequest }>('POST', `/${encodeURIComponent(id)}/deny`, { reason })).approval;
  }

  async cancel(id: string, reason: string): Promise<ApprovalRequest> {
    return (await this.call<{ approval: ApprovalRequest }>('POST', `/${encodeURIComponent(id)}/cancel`, { reason })).approval;
  }

  /** Long-polls until the request is decided or `timeoutSeconds` pass (undefined: forever). */
  async wait(id: string, timeoutSeconds?: number): Promise<ApprovalRequest> {
    const deadline = timeoutSeconds === undefined ? Infinity : Date.now() + timeoutSeconds * 1000;
    for (;;) {
      const left = Math.max(0, Math.min(60, (deadline - Date.now()) / 1000));
      const { approval, decided } = await this.call<{ approval: ApprovalRequest; decided: boolean }>('GET', `/${encodeURIComponent(id)}/wait?timeout=${Math.ceil(left)}`, undefined, (left + 30) * 1000);
      if (decided || Date.now() >= deadline) return approval;
    }
  }
}
