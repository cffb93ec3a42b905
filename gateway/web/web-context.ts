import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ApproverIdentity as ServiceApproverIdentity } from '../approvals/index.js';
import { parseCookies, readForm, sendHtml, sendRedirect, serializeCookie } from './http-io.js';
import type { Html } from './html.js';
import { messagePage } from './pages/layout.js';
import { constantTimeEqual, type ApproverIdentity, type SessionStore, type WebSession } from './session-store.js';
import { WebError } from './web-errors.js';

/** One request of the UI: its session (if any), its cookies to set, and the answers it can give. */
export class WebRequest {
  readonly cookies: string[] = [];
  sessionId: string | undefined;
  session: WebSession | undefined;

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
    readonly url: URL,
    private readonly context: WebContext,
  ) {
    this.sessionId = parseCookies(request.headers.cookie).get(context.cookieName);
    this.session = context.sessions.get(this.sessionId);
  }

  get identity(): ApproverIdentity | undefined {
    return this.session?.identity;
  }

  /** The session, made anonymous first when there is none (for a login form's CSRF token). */
  ensureSession(): WebSession {
    if (this.session !== undefined) return this.session;
    const { id, session } = this.context.sessions.createAnonymous();
    this.useSession(id, session);
    return session;
  }

  /** Replaces the session with a signed-in one (new id) and sets its cookie. */
  signIn(identity: ApproverIdentity): void {
    const { id, session } = this.context.sessions.signIn(this.sessionId, identity);
    this.useSession(id, session);
    this.context.logger.info({ subject: identity.subject, issuer: identity.issuer, authentication: identity.authentication, groups: identity.groups }, 'approver signed in');
  }

  signOut(): void {
    if (this.sessionId !== undefined) this.context.sessions.destroy(this.sessionId);
    if (this.identity !== undefined) this.context.logger.info({ subject: this.identity.subject }, 'approver signed out');
    this.session = undefined;
    this.sessionId = undefined;
    this.cookies.push(serializeCookie(this.context.cookieName, '', { secure: this.context.secureCookies, maxAge: 0 }));
  }

  /**
   * The posted form after the CSRF checks: the synchronizer token of this session, and (defence in
   * depth) a same-origin Origin and Sec-Fetch-Site when the browser sends them.
   */
  async csrfCheckedForm(): Promise<URLSearchParams> {
    const site = this.request.headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site') throw new WebError('CSRF_TOKEN_INVALID', 'this form was sent from another site; use the form of this gateway');
    const origin = this.request.headers.origin;
    if (origin !== undefined && origin !== 'null' && hostOf(origin) !== this.request.headers.host) {
      throw new WebError('CSRF_TOKEN_INVALID', 'this form was sent from another origin; use the form of this gateway');
    }
    const form = await readForm(this.request);
    const token = form.get('csrf') ?? '';
    if (this.session === undefined || token === '' || !constantTimeEqual(token, this.session.csrfToken)) {
      throw new WebError('CSRF_TOKEN_INVALID', 'the form expired or was not sent from this gateway (missing or wrong CSRF token); reload the page and try again');
    }
    return form;
  }

  html(status: number, page: Html): void {
    sendHtml(this.response, status, page, this.cookies);
  }

  redirect(location: string): void {
    sendRedirect(this.response, location, this.cookies);
  }

  message(status: number, title: string, text: string, link?: { href: string; text: string }): void {
    this.html(status, messagePage(this.identity === undefined ? undefined : this.session, title, text, link));
  }

  private useSession(id: string, session: WebSession): void {
    this.sessionId = id;
    this.session = session;
    const maxAge = Math.max(1, Math.floor((session.expiresAt - session.createdAt) / 1000));
    this.cookies.push(serializeCookie(this.context.cookieName, id, { secure: this.context.secureCookies, maxAge }));
  }
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined; // a malformed Origin matches nothing
  }
}

/** What every request of the UI shares. */
export class WebContext {
  readonly cookieName: string;

  constructor(
    readonly sessions: SessionStore,
    readonly secureCookies: boolean,
    readonly publicUrl: () => string,
    readonly logger: Logger,
  ) {
    // __Host-: the browser keeps it only when Secure, Path=/ and host-only (no Domain).
    this.cookieName = secureCookies ? '__Host-gitgate_session' : 'gitgate_session';
  }

  /** An absolute URL of this gateway (redirect URI, ACS URL). */
  absolute(path: string): string {
    return `${this.publicUrl().replace(/\/+$/, '')}${path}`;
  }
}

/** The approvals service's view of a signed-in approver: a person, as proven at login. */
export function serviceIdentity(identity: ApproverIdentity): ServiceApproverIdentity {
  return {
    subject: identity.subject,
    issuer: identity.issuer,
    ...(identity.name === undefined ? {} : { name: identity.name }),
    ...(identity.email === undefined ? {} : { email: identity.email }),
    groups: identity.groups,
    kind: 'human',
    authentication: identity.authentication,
  };
}
