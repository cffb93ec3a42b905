import { createHash } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { constantTimeEqual, randomToken, type ApproverIdentity, type PendingOidcLogin } from './session-store.js';
import { WebError } from './web-errors.js';

export interface OidcLoginConfig {
  issuer: string;
  clientId: string;
  /** Absent for a public client (PKCE alone); read when the token endpoint is called. */
  clientSecret: (() => string) | undefined;
  scopes: string[];
  groupsClaim: string;
  algorithms: string[];
  clockToleranceSeconds: number;
  /** What the login button says: "Sign in with <label>". */
  label: string;
}

interface ProviderMetadata {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

function claimAt(payload: JWTPayload, path: string): unknown {
  return path.split('.').reduce<unknown>((object, key) => (typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[key] : undefined), payload);
}

export function groupsFromClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((g) => g !== '');
  return [];
}

function rejection(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the ID token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the ID token's ${error.claim} claim is not accepted`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the ID token is signed with an algorithm this gateway does not accept';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "the ID token's signing key is not one of the issuer's keys";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the ID token signature is not valid';
  return 'the ID token is not a valid JWT';
}

/**
 * Approver login with the OIDC authorization-code flow: PKCE (S256), state and nonce kept in the
 * server-side session, the code exchanged at the token endpoint, the ID token verified with jose
 * against the issuer's JWKS (issuer, audience = client id, expiry, nonce, allowed algorithms).
 */
export class OidcLogin {
  private metadata: Promise<ProviderMetadata> | undefined;

  constructor(readonly config: OidcLoginConfig) {}

  /** Where to send the browser, and what the session must remember to finish the login. */
  async start(redirectUri: string, next: string): Promise<{ url: string; pending: PendingOidcLogin }> {
    const { authorizationEndpoint } = await this.provider();
    const pending: PendingOidcLogin = { state: randomToken(), nonce: randomToken(), codeVerifier: randomToken(), next };
    const url = new URL(authorizationEndpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('scope', this.config.scopes.join(' '));
    url.searchParams.set('state', pending.state);
    url.searchParams.set('nonce', pending.nonce);
    url.searchParams.set('code_challenge', createHash('sha256').update(pending.codeVerifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
    return { url: url.toString(), pending };
  }

  /** Checks the callback's state, exchanges the code, verifies the ID token; the approver's identity. */
  async finish(callback: URLSearchParams, pending: PendingOidcLogin | undefined, redirectUri: string): Promise<ApproverIdentity> {
    const state = callback.get('state') ?? '';
    if (pending === undefined || !constantTimeEqual(state, pending.state)) {
      throw new WebError('LOGIN_STATE_INVALID', 'this sign-in link does not belong to a login started in this browser (or it is too old); sign in again');
    }
    const error = callback.get('error');
    if (error !== null) {
      const description = callback.get('error_description');
      throw new WebError('LOGIN_REJECTED', `the identity provider refused the sign-in: ${error}${description ? ` (${description})` : ''}`);
    }
    const code = callback.get('code');
    if (code === null || code === '') throw new WebError('LOGIN_REJECTED', 'the identity provider sent no authorization code');
    const { tokenEndpoint, jwks } = await this.provider();
    const idToken = await this.exchange(tokenEndpoint, code, pending.codeVerifier, redirectUri);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, jwks, {
        issuer: this.config.issuer,
        audience: this.config.clientId,
        algorithms: this.config.algorithms,
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp', 'iat', 'nonce'],
      }));
    } catch (cause) {
      throw new WebError('LOGIN_REJECTED', `sign-in refused: ${rejection(cause)}`, { cause });
    }
    if (typeof payload['nonce'] !== 'string' || !constantTimeEqual(payload['nonce'], pending.nonce)) {
      throw new WebError('LOGIN_REJECTED', "sign-in refused: the ID token's nonce does not match this login");
    }
    if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload['azp'] !== this.config.clientId) {
      throw new WebError('LOGIN_REJECTED', "sign-in refused: the ID token's azp claim does not name this gateway");
    }
    const name = payload['name'];
    const email = payload['email'];
    return {
      subject: payload.sub!,
      issuer: this.config.issuer,
      ...(typeof name === 'string' ? { name } : {}),
      ...(typeof email === 'string' ? { email } : {}),
      groups: groupsFromClaim(claimAt(payload, this.config.groupsClaim)),
      authentication: 'oidc',
    };
  }

  private async exchange(tokenEndpoint: string, code: string, codeVerifier: string, redirectUri: string): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier, client_id: this.config.clientId });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.config.clientSecret !== undefined) {
      // client_secret_basic (RFC 6749 2.3.1): both parts form-encoded first.
      const user = encodeURIComponent(this.config.clientId);
      const secret = encodeURIComponent(this.config.clientSecret());
      headers['authorization'] = `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
    }
    let response: Response;
    try {
      response = await fetch(tokenEndpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000), redirect: 'error' });
    } catch (cause) {
      throw new WebError('LOGIN_PROVIDER_UNAVAILABLE', `the identity provider's token endpoint could not be reached (${(cause as Error).message}); try again later`, { cause });
    }
    let document: { id_token?: unknown; error?: unknown; error_description?: unknown };
    try {
      document = (await response.json()) as typeof document;
    } catch (cause) {
      throw new WebError('LOGIN_PROVIDER_UNAVAILABLE', `the identity provider's token endpoint answered HTTP ${response.status} without JSON`, { cause });
    }
    if (!response.ok) {
      const reason = typeof document.error === 'string' ? document.error.slice(0, 100) : `HTTP ${response.status}`;
      throw new WebError('LOGIN_REJECTED', `the identity provider refused the authorization code: ${reason}; sign in again`);
    }
    if (typeof document.id_token !== 'string') throw new WebError('LOGIN_REJECTED', 'the identity provider returned no ID token (is the openid scope allowed?)');
    return document.id_token;
  }

  private provider(): Promise<ProviderMetadata> {
    this.metadata ??= this.discover().catch((error: unknown) => {
      this.metadata = undefined; // try again on the next login
      throw error;
    });
    return this.metadata;
  }

  private async discover(): Promise<ProviderMetadata> {
    const url = `${this.config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let document: Record<string, unknown>;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      document = (await response.json()) as Record<string, unknown>;
    } catch (cause) {
      throw new WebError('LOGIN_PROVIDER_UNAVAILABLE', `the identity provider's discovery document ${url} could not be read (${(cause as Error).message})`, { cause });
    }
    const { issuer, authorization_endpoint: authorization, token_endpoint: token, jwks_uri: jwksUri, code_challenge_methods_supported: methods } = document;
    if (issuer !== this.config.issuer || typeof authorization !== 'string' || typeof token !== 'string' || typeof jwksUri !== 'string') {
      throw new WebError('LOGIN_PROVIDER_UNAVAILABLE', `the discovery document at ${url} must name issuer ${this.config.issuer} with authorization_endpoint, token_endpoint and jwks_uri`);
    }
    if (Array.isArray(methods) && !methods.includes('S256')) {
      throw new WebError('LOGIN_PROVIDER_UNAVAILABLE', `the identity provider ${this.config.issuer} does not support PKCE with S256`);
    }
    return { authorizationEndpoint: authorization, tokenEndpoint: token, jwks: createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 10_000 }) };
  }
}
