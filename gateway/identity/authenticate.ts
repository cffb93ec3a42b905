import type { Identity } from '../../rego/index.js';
import { TOKEN_PREFIX, type TokenStore } from './token-store.js';
import { looksLikeJwt, unverifiedIssuer, type OidcVerifier } from './oidc-verifier.js';

export const TOKEN_ISSUER = 'gitgate:static-tokens';

export type AuthenticationResult =
  | { ok: true; identity: Identity }
  | { ok: false; reason: 'missing' | 'malformed' | 'invalid'; message: string };

/** The token from `Authorization: Basic base64(user:token)` (git's way) or `Bearer <token>`. */
export function presentedToken(authorization: string | undefined): string | undefined | null {
  if (authorization === undefined || authorization === '') return undefined;
  const space = authorization.indexOf(' ');
  const scheme = authorization.slice(0, space < 0 ? undefined : space).toLowerCase();
  const value = space < 0 ? '' : authorization.slice(space + 1).trim();
  if (scheme === 'bearer') return value === '' ? null : value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const password = decoded.slice(colon + 1);
    return password === '' ? null : password;
  }
  return null;
}

/**
 * Who is calling, from the request's Authorization header: a static token (`ggt_...`), or a JWT
 * of one of the configured OIDC issuers.
 */
export async function authenticate(
  authorization: string | undefined,
  tokens: TokenStore,
  oidc: readonly OidcVerifier[] = [],
): Promise<AuthenticationResult> {
  const token = presentedToken(authorization);
  if (token === undefined) {
    return { ok: false, reason: 'missing', message: 'gitgate needs a token: use it as the password (any user name) or as a Bearer token' };
  }
  if (token === null) return { ok: false, reason: 'malformed', message: 'gitgate could not read a token from the Authorization header' };
  if (!token.startsWith(TOKEN_PREFIX) && looksLikeJwt(token)) {
    const issuer = unverifiedIssuer(token);
    const verifier = oidc.find((v) => v.config.issuer === issuer);
    if (verifier === undefined) {
      return { ok: false, reason: 'invalid', message: 'gitgate: tokens of this issuer are not accepted here' };
    }
    const result = await verifier.verify(token);
    return result.ok ? result : { ok: false, reason: 'invalid', message: result.message };
  }
  const record = tokens.verify(token);
  if (record === undefined) {
    return { ok: false, reason: 'invalid', message: 'gitgate: this token is not valid (revoked, mistyped or from another gateway); ask for a new one with gitgate token create' };
  }
  return {
    ok: true,
    identity: {
      subject: record.subject,
      issuer: TOKEN_ISSUER,
      groups: [...record.groups],
      kind: record.kind ?? 'agent',
      authentication: 'token',
    },
  };
}
