import type { Identity } from '../../rego/index.js';
import type { TokenStore } from './token-store.js';

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

/** Who is calling, from the request's Authorization header. */
export function authenticate(authorization: string | undefined, tokens: TokenStore): AuthenticationResult {
  const token = presentedToken(authorization);
  if (token === undefined) {
    return { ok: false, reason: 'missing', message: 'gitgate needs a token: use it as the password (any user name) or as a Bearer token' };
  }
  if (token === null) return { ok: false, reason: 'malformed', message: 'gitgate could not read a token from the Authorization header' };
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
