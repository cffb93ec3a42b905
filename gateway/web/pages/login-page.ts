import { html, type Html } from '../html.js';
import type { WebSession } from '../session-store.js';
import { layout } from './layout.js';

export interface LoginOptions {
  oidcLabel: string | undefined;
  samlLabel: string | undefined;
  tokenLogin: boolean;
  next: string;
  error: string | undefined;
  notice: string | undefined;
}

/** Sign-in choices: the configured identity providers, and a static token of kind human. */
export function loginPage(session: WebSession, options: LoginOptions): Html {
  const next = encodeURIComponent(options.next);
  const none = options.oidcLabel === undefined && options.samlLabel === undefined && !options.tokenLogin;
  return layout({
    title: 'Sign in',
    session: undefined,
    section: 'login',
    body: html`<div class="login">
<h1>Sign in to approve pushes</h1>
${options.error === undefined ? html`` : html`<p class="notice error" role="alert">${options.error}</p>`}
${options.notice === undefined ? html`` : html`<p class="notice ok" role="status">${options.notice}</p>`}
${options.oidcLabel === undefined ? html`` : html`<section aria-labelledby="oidc-heading"><h2 id="oidc-heading">Single sign-on</h2><p><a class="button" href="/ui/login/oidc?next=${next}">Sign in with ${options.oidcLabel}</a></p></section>`}
${options.samlLabel === undefined ? html`` : html`<section aria-labelledby="saml-heading"><h2 id="saml-heading">SAML</h2><p><a class="button" href="/ui/login/saml?next=${next}">Sign in with ${options.samlLabel}</a></p></section>`}
${
  options.tokenLogin
    ? html`<section aria-labelledby="token-heading"><h2 id="token-heading">Approver token</h2>
<form class="login" method="post" action="/ui/login/token">
<input type="hidden" name="csrf" value="${session.csrfToken}">
<input type="hidden" name="next" value="${options.next}">
<p><label for="token">Token</label><input id="token" name="token" type="password" autocomplete="current-password" required size="40" aria-describedby="token-help"></p>
<p id="token-help" class="muted">A token of kind human (<code>gitgate token create --kind human --groups production-review</code>); agent tokens cannot sign in.</p>
<p><button type="submit">Sign in</button></p>
</form></section>`
    : html``
}
${none ? html`<p class="notice error">No sign-in method is configured (web.oidc, web.saml or web.token_login in gitgate.yaml).</p>` : html``}
</div>`,
  });
}
