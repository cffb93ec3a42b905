import type { Logger } from 'pino';
import type { ApprovalService, ApproverAuthenticator } from '../approvals/index.js';
import type { GatewayConfig } from '../config/config-types.js';
import { join } from 'node:path';
import { readSecretSource, type SecretSource } from '../config/secret-source.js';
import type { TokenStore } from '../identity/token-store.js';
import { AuditRoutes, type AuditView } from './audit-routes.js';
import { OidcLogin } from './oidc-login.js';
import { SamlLogin } from './saml-login.js';
import { SessionApproverAuthenticator } from './session-authenticator.js';
import { FileSessionBackend, MemorySessionBackend, SessionStore } from './session-store.js';
import { WebUiHandler, type WebRoutes } from './web-ui-handler.js';
import { WebError } from './web-errors.js';

export interface WebUi {
  /** Serves /ui; pass it in GatewayDependencies.handlers. */
  handler: WebUiHandler;
  /** Add to the approvals REST API's authenticators: a browser session may call it too. */
  authenticator: ApproverAuthenticator;
  sessions: SessionStore;
}

export interface WebUiSetupOptions {
  approvals: ApprovalService;
  tokens: TokenStore;
  logger: Logger;
  publicUrl: () => string;
  extraRoutes?: WebRoutes[];
  /** The audit log, for the timeline at /ui/audit (members of gitgate-admins). */
  audit?: AuditView;
  /** For tests of session expiry. */
  now?: () => number;
}

/** The OIDC client secret, read at each code exchange (rotation needs no restart); never logged. */
function readClientSecret(source: SecretSource): string {
  return readSecretSource(
    source,
    (reason) =>
      new WebError(
        'LOGIN_PROVIDER_UNAVAILABLE',
        source.kind === 'env'
          ? `the OIDC client secret variable ${source.name} (web.oidc.client_secret_env) is not set`
          : `cannot read the OIDC client secret file ${source.path} (web.oidc.client_secret_file): ${reason}`,
      ),
  );
}

/**
 * The web UI from the `web` config section: sessions, and the sign-in methods configured (OIDC,
 * SAML with its IdP metadata read now, so a bad file stops the start; static human tokens).
 */
export function createWebUi(config: GatewayConfig, options: WebUiSetupOptions): WebUi {
  const { web } = config;
  const sessions = new SessionStore({
    ttlSeconds: web.sessionTtlSeconds,
    idleSeconds: web.sessionIdleSeconds,
    backend: web.sessionStore === 'file' ? new FileSessionBackend(join(config.dataDir, 'web-sessions')) : new MemorySessionBackend(),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const secretSource = web.oidc?.clientSecret;
  const oidc = web.oidc === undefined ? undefined : new OidcLogin({ ...web.oidc, clientSecret: secretSource === undefined ? undefined : () => readClientSecret(secretSource) });
  const saml = web.saml === undefined ? undefined : new SamlLogin(web.saml);
  const secureCookies = config.tls !== undefined || (config.publicUrl ?? '').startsWith('https://');
  const logger = options.logger.child({ component: 'web-ui' });
  const handler = new WebUiHandler({
    approvals: options.approvals,
    sessions,
    login: { oidc, saml, tokens: web.tokenLogin ? options.tokens : undefined },
    logger,
    publicUrl: options.publicUrl,
    secureCookies,
    extraRoutes: [...(options.audit === undefined ? [] : [new AuditRoutes(options.audit)]), ...(options.extraRoutes ?? [])],
  });
  return { handler, authenticator: new SessionApproverAuthenticator(sessions, handler.context.cookieName), sessions };
}
