import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { canView } from '../approvals/approvals-http-handler.js';
import { ApprovalError, type ApprovalService } from '../approvals/index.js';
import type { GatewayHttpHandler } from '../http/http-handler.js';
import { sendAsset } from './http-io.js';
import { LoginRoutes, type LoginMethods } from './login-routes.js';
import { approvalListPage } from './pages/approval-list-page.js';
import { approvalPage, type ApprovalPageOptions } from './pages/approval-page.js';
import { STYLESHEET } from './pages/style.js';
import type { SessionStore } from './session-store.js';
import { serviceIdentity, WebContext, WebRequest } from './web-context.js';
import { WebError } from './web-errors.js';

export interface WebUiDependencies {
  approvals: ApprovalService;
  sessions: SessionStore;
  login: LoginMethods;
  logger: Logger;
  /** The gateway's base URL (redirect URI and ACS URL are made from it). */
  publicUrl: () => string;
  /** Secure cookies (and the __Host- prefix): when the gateway is reached over HTTPS. */
  secureCookies: boolean;
  /** Extra pages under /ui (the audit timeline); tried after the approval pages. */
  extraRoutes?: WebRoutes[];
}

/** A group of UI pages; returns false when the path is not one of its own. */
export interface WebRoutes {
  handle(web: WebRequest, method: string, path: string): Promise<boolean>;
}

const APPROVAL_PATH = /^\/ui\/approvals\/([A-Za-z0-9_]{1,64})(?:\/(approve|deny))?$/;

const STATUS_OF: Record<WebError['code'], number> = {
  LOGIN_STATE_INVALID: 400,
  LOGIN_PROVIDER_UNAVAILABLE: 502,
  LOGIN_REJECTED: 401,
  CSRF_TOKEN_INVALID: 403,
  FORM_TOO_LARGE: 413,
  FORM_INVALID: 400,
  SAML_METADATA_INVALID: 500,
};

/**
 * The approvers' web UI at /ui: server-rendered pages (no script at all), sessions in secure
 * cookies, a CSRF token on every form, a strict Content-Security-Policy.
 */
export class WebUiHandler implements GatewayHttpHandler {
  readonly name = 'web-ui';
  readonly context: WebContext;
  private readonly loginRoutes: LoginRoutes;

  constructor(private readonly deps: WebUiDependencies) {
    this.context = new WebContext(deps.sessions, deps.secureCookies, deps.publicUrl, deps.logger);
    this.loginRoutes = new LoginRoutes(this.context, deps.login);
  }

  claims(_method: string, url: URL): boolean {
    return url.pathname === '/ui' || url.pathname.startsWith('/ui/');
  }

  async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const web = new WebRequest(request, response, url, this.context);
    const method = request.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/ui';
    try {
      if (path === '/ui/assets/style.css' && method === 'GET') return sendAsset(response, 'text/css; charset=utf-8', STYLESHEET);
      if (await this.loginRoutes.handle(web, method, path)) return;
      if (web.identity === undefined) return this.needLogin(web, method);
      if (path === '/ui' && method === 'GET') return await this.list(web);
      const match = APPROVAL_PATH.exec(path);
      if (match !== null && method === 'GET' && match[2] === undefined) return await this.show(web, match[1]!);
      if (match !== null && method === 'POST' && match[2] !== undefined) return await this.decide(web, match[1]!, match[2] as 'approve' | 'deny');
      for (const routes of this.deps.extraRoutes ?? []) if (await routes.handle(web, method, path)) return;
      web.message(404, 'Not found', `There is no page ${path} here.`);
    } catch (error) {
      if (error instanceof WebError) {
        this.deps.logger.info({ code: error.code, path }, 'web request refused');
        if (path.startsWith('/ui/login')) return this.loginRoutes.showLogin(web, STATUS_OF[error.code], error.message);
        return web.message(STATUS_OF[error.code], 'Request refused', error.message);
      }
      if (error instanceof ApprovalError && !response.headersSent) {
        // e.g. APPROVAL_STORE_FAILED: say so rather than a bare internal error.
        this.deps.logger.warn({ code: error.code, err: error, path }, 'approvals unavailable to the web UI');
        return web.message(error.httpStatus, 'Approvals unavailable', `${error.message} (${error.code}); nothing was changed. Try again later.`);
      }
      throw error;
    }
  }

  /** GET pages send the browser to sign in (and back); a POST without a session is refused. */
  private needLogin(web: WebRequest, method: string): void {
    const expired = web.sessionId !== undefined && web.session === undefined; // a cookie whose session is gone
    if (method === 'GET') {
      const next = `${web.url.pathname}${web.url.search}`;
      return web.redirect(`/ui/login?next=${encodeURIComponent(next)}${expired ? '&expired=1' : ''}`);
    }
    web.message(401, 'Sign in first', 'Your session ended or you are not signed in; sign in and try again.', { href: '/ui/login', text: 'Sign in' });
  }

  /** Like the REST API: the pusher, approvers of the request's groups and admins see a request. */
  private async list(web: WebRequest): Promise<void> {
    const viewer = serviceIdentity(web.identity!);
    const visible = (await this.deps.approvals.list()).filter((request) => canView(request, viewer));
    const pending = visible.filter((request) => request.state === 'pending');
    const recent = visible.filter((request) => request.state !== 'pending').slice(0, 20);
    web.html(200, approvalListPage(web.session!, pending, recent));
  }

  /** Someone who may not see a request learns nothing about it, not even that it exists. */
  private async visible(web: WebRequest, id: string): Promise<boolean> {
    try {
      if (canView(await this.deps.approvals.get(id), serviceIdentity(web.identity!))) return true;
    } catch (error) {
      if (!(error instanceof ApprovalError && error.code === 'APPROVAL_NOT_FOUND')) throw error;
    }
    web.message(404, 'Not found', `There is no approval request ${id} that you can see.`);
    return false;
  }

  private async show(web: WebRequest, id: string, status = 200, options: ApprovalPageOptions = {}): Promise<void> {
    if (!(await this.visible(web, id))) return;
    const detail = await this.deps.approvals.detail(id, serviceIdentity(web.identity!));
    const contents = await this.deps.approvals.fileContents(id);
    const done = web.url.searchParams.get('done');
    const notice = options.notice ?? (done === 'approve' ? { kind: 'ok' as const, text: 'Your approval is recorded.' } : done === 'deny' ? { kind: 'ok' as const, text: 'The push is denied.' } : undefined);
    web.html(status, approvalPage(web.session!, detail, contents, { ...options, ...(notice === undefined ? {} : { notice }) }));
  }

  private async decide(web: WebRequest, id: string, decision: 'approve' | 'deny'): Promise<void> {
    const form = await web.csrfCheckedForm();
    if (!(await this.visible(web, id))) return;
    const reason = (form.get('reason') ?? '').trim().slice(0, 2000);
    const approver = serviceIdentity(web.identity!);
    try {
      if (decision === 'approve') await this.deps.approvals.approve(id, approver, reason === '' ? undefined : reason);
      else await this.deps.approvals.deny(id, approver, reason);
    } catch (error) {
      if (!(error instanceof ApprovalError)) throw error;
      this.deps.logger.info({ code: error.code, approval_id: id, subject: approver.subject, decision }, 'web decision refused');
      if (error.code === 'APPROVAL_NOT_FOUND') return web.message(404, 'Not found', error.message);
      return this.show(web, id, error.httpStatus, { notice: { kind: 'error', text: error.message }, reason });
    }
    this.deps.logger.info({ approval_id: id, subject: approver.subject, decision }, 'web decision recorded');
    web.redirect(`/ui/approvals/${id}?done=${decision}`);
  }
}
