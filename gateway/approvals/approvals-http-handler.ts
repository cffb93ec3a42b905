import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { GatewayHttpHandler } from '../http/http-handler.js';
import { ApprovalError } from './approval-errors.js';
import type { ApprovalService } from './approval-service.js';
import { requiredGroups, type ApproverIdentity } from './approval-state.js';
import { isApprovalId } from './approval-store.js';
import type { ApprovalRequest, ApprovalState } from './approval-types.js';
import { authenticateApprover, type ApproverAuthenticator } from './approver-authenticator.js';

export const APPROVALS_API_PREFIX = '/api/approvals';
/** Members see every request (and may cancel any). */
export const APPROVALS_ADMIN_GROUP = 'gitgate-admins';
const MAX_BODY_BYTES = 64 * 1024;
const MAX_WAIT_SECONDS = 300;
const STATES: readonly ApprovalState[] = ['pending', 'approved', 'denied', 'expired', 'used', 'cancelled'];

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  response.end(`${JSON.stringify(body)}\n`);
}

function sendError(response: ServerResponse, error: ApprovalError): void {
  sendJson(response, error.httpStatus, { error: { code: error.code, message: error.message } }, error.code === 'APPROVAL_UNAUTHENTICATED' ? { 'www-authenticate': 'Bearer realm="gitgate"' } : {});
}

async function readJsonBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApprovalError('APPROVAL_BAD_REQUEST', `the request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApprovalError('APPROVAL_BAD_REQUEST', 'the request body is not JSON; send {"reason": "..."}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApprovalError('APPROVAL_BAD_REQUEST', 'the request body must be a JSON object such as {"reason": "..."}');
  return value as Record<string, unknown>;
}

function reasonOf(body: Record<string, unknown>): string | undefined {
  const reason = body['reason'];
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string') throw new ApprovalError('APPROVAL_BAD_REQUEST', 'reason must be a string');
  return reason;
}

/** The pusher, an approver of one of its groups, or an admin may see a request. */
export function canView(request: ApprovalRequest, viewer: ApproverIdentity): boolean {
  if (viewer.groups.includes(APPROVALS_ADMIN_GROUP)) return true;
  if (request.pusher.subject === viewer.subject && request.pusher.issuer === viewer.issuer) return true;
  return [...requiredGroups(request).keys()].some((group) => viewer.groups.includes(group));
}

/**
 * The approvals REST API:
 *   GET  /api/approvals[?state=pending&repository=owner/name&limit=n]   requests the caller may see
 *   GET  /api/approvals/<id>                    the request, progress per group, what the caller may do
 *   GET  /api/approvals/<id>/files              old/new text of changed text files (masked)
 *   GET  /api/approvals/<id>/wait[?timeout=s]   long poll: answers once decided, or after timeout (max 300 s)
 *   POST /api/approvals/<id>/approve|deny|cancel   body {"reason": "..."} (required for deny and cancel)
 * Every call is authenticated by the authenticators in order (Bearer tokens and OIDC JWTs; the web
 * UI adds sessions).
 */
export class ApprovalsHttpHandler implements GatewayHttpHandler {
  readonly name = 'approvals-api';

  constructor(
    private readonly service: ApprovalService,
    /** Asked in order; the web UI may push its own (sessions) onto this list. */
    readonly authenticators: ApproverAuthenticator[],
    private readonly logger: Logger,
  ) {}

  claims(_method: string, url: URL): boolean {
    return url.pathname === APPROVALS_API_PREFIX || url.pathname.startsWith(`${APPROVALS_API_PREFIX}/`);
  }

  async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    try {
      await this.route(request, response, url);
    } catch (error) {
      if (error instanceof ApprovalError) {
        sendError(response, error);
        return;
      }
      this.logger.error({ err: error, path: url.pathname }, 'approvals API failed');
      sendJson(response, 500, { error: { code: 'INTERNAL', message: 'gitgate: internal error; the operators have the details in the gateway log' } });
    }
  }

  private async viewer(request: IncomingMessage): Promise<ApproverIdentity> {
    const result = await authenticateApprover(request, this.authenticators);
    if (result.kind === 'identity') return result.identity;
    throw new ApprovalError('APPROVAL_UNAUTHENTICATED', result.kind === 'invalid' ? result.message : 'the approvals API needs a Bearer token (gitgate token create --kind human) or a web UI login');
  }

  private async visible(id: string, viewer: ApproverIdentity): Promise<ApprovalRequest> {
    const found = await this.service.get(id);
    // Someone who may not see it learns nothing, not even that it exists.
    if (!canView(found, viewer)) throw new ApprovalError('APPROVAL_NOT_FOUND', `there is no approval request ${id}`);
    return found;
  }

  private async route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    const parts = url.pathname.slice(APPROVALS_API_PREFIX.length).split('/').filter((p) => p !== '');
    const viewer = await this.viewer(request);
    if (parts.length === 0) {
      if (method !== 'GET') throw new ApprovalError('APPROVAL_BAD_REQUEST', `${method} ${url.pathname} is not supported; use GET`);
      const states = url.searchParams.getAll('state').flatMap((s) => s.split(','));
      for (const state of states) if (!STATES.includes(state as ApprovalState)) throw new ApprovalError('APPROVAL_BAD_REQUEST', `state must be one of ${STATES.join(', ')}, not '${state}'`);
      const limit = url.searchParams.get('limit');
      const requests = await this.service.list({
        ...(states.length === 0 ? {} : { state: states as ApprovalState[] }),
        ...(url.searchParams.get('repository') === null ? {} : { repository: url.searchParams.get('repository')! }),
      });
      const shown = requests.filter((r) => canView(r, viewer)).slice(0, limit === null ? 100 : Math.max(1, Math.min(1000, Number(limit) || 100)));
      sendJson(response, 200, { approvals: shown });
      return;
    }
    const [id, action] = parts as [string, string | undefined];
    if (!isApprovalId(id) || parts.length > 2) throw new ApprovalError('APPROVAL_NOT_FOUND', `there is no approval request ${id.slice(0, 40)}`);
    if (method === 'GET') {
      if (action === undefined) {
        await this.visible(id, viewer);
        const detail = await this.service.detail(id, viewer);
        sendJson(response, 200, { approval: detail.request, progress: detail.progress, can: detail.can });
      } else if (action === 'files') {
        await this.visible(id, viewer);
        sendJson(response, 200, { files: await this.service.fileContents(id) });
      } else if (action === 'wait') {
        await this.visible(id, viewer);
        const timeout = Number(url.searchParams.get('timeout') ?? '30');
        if (!Number.isFinite(timeout) || timeout < 0) throw new ApprovalError('APPROVAL_BAD_REQUEST', 'timeout must be a number of seconds');
        const gone = new AbortController();
        response.once('close', () => gone.abort());
        const current = await this.service.waitForDecision(id, Math.min(timeout, MAX_WAIT_SECONDS) * 1000, gone.signal);
        sendJson(response, 200, { approval: current, decided: current.state !== 'pending' });
      } else throw new ApprovalError('APPROVAL_NOT_FOUND', `GET ${url.pathname}: no such resource; use /api/approvals/${id}, /files or /wait`);
      return;
    }
    if (method !== 'POST' || action === undefined || !['approve', 'deny', 'cancel'].includes(action)) {
      throw new ApprovalError('APPROVAL_BAD_REQUEST', `${method} ${url.pathname} is not supported; POST /api/approvals/${id}/approve, /deny or /cancel`);
    }
    await this.visible(id, viewer);
    const reason = reasonOf(await readJsonBody(request));
    const updated =
      action === 'approve'
        ? await this.service.approve(id, viewer, reason)
        : action === 'deny'
          ? await this.service.deny(id, viewer, reason ?? '')
          : await this.service.cancel(id, viewer, reason ?? '');
    this.logger.info({ approval_id: id, action, by: viewer.subject, state: updated.state }, 'approval decided');
    sendJson(response, 200, { approval: updated });
  }
}
