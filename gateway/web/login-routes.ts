import { createHash } from 'node:crypto';
import { TOKEN_ISSUER } from '../identity/authenticate.js';
import type { TokenStore } from '../identity/token-store.js';
import { parseCookies, readForm, safeNext, sendXml, serializeCookie } from './http-io.js';
import type { OidcLogin } from './oidc-login.js';
import { loginPage } from './pages/login-page.js';
import type { SamlLogin } from './saml-login.js';
import { constantTimeEqual, randomToken } from './session-store.js';
import type { WebContext, WebRequest } from './web-context.js';
import { WebError } from './web-errors.js';

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export const OIDC_CALLBACK_PATH = '/ui/login/oidc/callback';
export const SAML_ACS_PATH = '/ui/login/saml/acs';
export const SAML_METADATA_PATH = '/ui/login/saml/metadata';

export interface LoginMethods {
  oidc: OidcLogin | undefined;
  saml: SamlLogin | undefined;
  /** Static tokens of kind human may sign in; undefined when web.token_login is off. */
  tokens: TokenStore | undefined;
}

/** Sign-in and sign-out: /ui/login..., /ui/logout. Returns false when the path is not one of them. */
export class LoginRoutes {
  constructor(
    private readonly context: WebContext,
    private readonly methods: LoginMethods,
  ) {}

  async handle(web: WebRequest, method: string, path: string): Promise<boolean> {
    if (path === '/ui/login' && method === 'GET') this.showLogin(web);
    else if (path === '/ui/login/token' && method === 'POST') await this.tokenLogin(web);
    else if (path === '/ui/login/oidc' && method === 'GET') await this.startOidc(web);
    else if (path === OIDC_CALLBACK_PATH && method === 'GET') await this.finishOidc(web);
    else if (path === '/ui/login/saml' && method === 'GET') await this.startSaml(web);
    else if (path === SAML_ACS_PATH && method === 'POST') await this.finishSaml(web);
    else if (path === SAML_METADATA_PATH && method === 'GET' && this.methods.saml !== undefined) sendXml(web.response, this.methods.saml.metadata(this.context.absolute(SAML_ACS_PATH)));
    else if (path === '/ui/logout' && method === 'POST') await this.logout(web);
    else return false;
    return true;
  }

  showLogin(web: WebRequest, status = 200, error?: string, notice?: string): void {
    const session = web.ensureSession();
    const next = safeNext(web.url.searchParams.get('next'));
    web.html(
      status,
      loginPage(session, {
        oidcLabel: this.methods.oidc?.config.label,
        samlLabel: this.methods.saml?.config.label,
        tokenLogin: this.methods.tokens !== undefined,
        next,
        error: error ?? (web.url.searchParams.get('expired') === '1' ? 'Your session ended; sign in again.' : undefined),
        notice: notice ?? (web.url.searchParams.get('signed_out') === '1' ? 'You are signed out.' : undefined),
      }),
    );
  }

  private async tokenLogin(web: WebRequest): Promise<void> {
    const form = await web.csrfCheckedForm();
    const tokens = this.methods.tokens;
    if (tokens === undefined) return web.message(404, 'Not available', 'Token sign-in is turned off on this gateway (web.token_login).');
    const record = tokens.verify((form.get('token') ?? '').trim());
    if (record === undefined || (record.kind ?? 'agent') !== 'human') {
      this.context.logger.info({ reason: record === undefined ? 'unknown token' : 'agent token' }, 'approver token sign-in refused');
      const message = record === undefined ? 'That token is not valid here (mistyped, revoked or from another gateway).' : 'That is an agent token; only tokens of kind human can sign in to approve.';
      this.showLogin(web, 401, message);
      return;
    }
    web.signIn({ subject: record.subject, issuer: TOKEN_ISSUER, groups: [...record.groups], authentication: 'token' });
    web.redirect(safeNext(form.get('next')));
  }

  private async startOidc(web: WebRequest): Promise<void> {
    const oidc = this.methods.oidc;
    if (oidc === undefined) return web.message(404, 'Not available', 'OIDC sign-in is not configured on this gateway (web.oidc).');
    const { url, pending } = await oidc.start(this.context.absolute(OIDC_CALLBACK_PATH), safeNext(web.url.searchParams.get('next')));
    web.ensureSession();
    this.context.sessions.setPendingOidc(web.sessionId!, pending);
    web.redirect(url);
  }

  private async finishOidc(web: WebRequest): Promise<void> {
    const oidc = this.methods.oidc;
    if (oidc === undefined) return web.message(404, 'Not available', 'OIDC sign-in is not configured on this gateway (web.oidc).');
    const pending = this.context.sessions.takePendingOidc(web.sessionId); // one use, whatever the outcome
    const identity = await oidc.finish(web.url.searchParams, pending, this.context.absolute(OIDC_CALLBACK_PATH));
    web.signIn(identity);
    web.redirect(safeNext(pending?.next));
  }

  /**
   * Over HTTPS the login is bound to this browser: a random value in a short-lived
   * SameSite=None cookie (sent with the IdP's cross-site POST), its hash in RelayState. A
   * response obtained by someone else cannot then be posted from a victim's browser (login CSRF).
   */
  private async startSaml(web: WebRequest): Promise<void> {
    const saml = this.methods.saml;
    if (saml === undefined) return web.message(404, 'Not available', 'SAML sign-in is not configured on this gateway (web.saml).');
    const next = safeNext(web.url.searchParams.get('next'));
    let binding = '-';
    if (this.context.secureCookies) {
      const value = randomToken();
      web.cookies.push(serializeCookie(this.samlBindingCookie, value, { secure: true, sameSite: 'None', maxAge: 600 }));
      binding = sha256(value);
    }
    web.redirect(await saml.start(this.context.absolute(SAML_ACS_PATH), `${binding}|${next}`));
  }

  /**
   * The IdP's HTTP-POST: a cross-site form post, so the session cookie (SameSite=Lax) is not
   * there. The signed response is the proof; InResponseTo ties it to a request this gateway
   * made, once; over HTTPS the binding cookie ties it to the browser that started the login.
   */
  private async finishSaml(web: WebRequest): Promise<void> {
    const saml = this.methods.saml;
    if (saml === undefined) return web.message(404, 'Not available', 'SAML sign-in is not configured on this gateway (web.saml).');
    const form = await readForm(web.request, 1024 * 1024);
    const relayState = form.get('RelayState') ?? '';
    const bar = relayState.indexOf('|');
    const binding = bar < 0 ? '' : relayState.slice(0, bar);
    if (this.context.secureCookies) {
      const cookie = parseCookies(web.request.headers.cookie).get(this.samlBindingCookie);
      web.cookies.push(serializeCookie(this.samlBindingCookie, '', { secure: true, sameSite: 'None', maxAge: 0 }));
      if (cookie === undefined || !constantTimeEqual(sha256(cookie), binding)) {
        throw new WebError('LOGIN_STATE_INVALID', 'this SAML response does not belong to a login started in this browser (or it is too old); sign in again');
      }
    }
    const identity = await saml.finish(form, this.context.absolute(SAML_ACS_PATH));
    web.signIn(identity);
    web.redirect(safeNext(bar < 0 ? undefined : relayState.slice(bar + 1)));
  }

  private get samlBindingCookie(): string {
    return this.context.secureCookies ? '__Host-gitgate_saml' : 'gitgate_saml';
  }

  private async logout(web: WebRequest): Promise<void> {
    await web.csrfCheckedForm();
    web.signOut();
    web.redirect('/ui/login?signed_out=1');
  }
}
