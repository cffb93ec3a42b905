import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Identity } from '../../rego/index.js';
import type { OidcIssuerConfig } from '../config/config-types.js';

export type OidcResult = { ok: true; identity: Identity } | { ok: false; message: string };

/** Three base64url parts: worth trying as a JWT. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** The `iss` claim before verification, only to pick which issuer verifies the token. */
export function unverifiedIssuer(token: string): string | undefined {
  try {
    const issuer = decodeJwt(token).iss;
    return typeof issuer === 'string' ? issuer : undefined;
  } catch {
    return undefined;
  }
}

function groupsOf(payload: JWTPayload, claim: string): string[] {
  const value = claim.split('.').reduce<unknown>((object, key) => (typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[key] : undefined), payload);
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((g) => g !== '');
  return [];
}

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired; get a new one';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not accepted here`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm this gateway does not accept';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "the token's signing key is not one of the issuer's keys";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (error instanceof joseErrors.JWKSTimeout || error instanceof OidcDiscoveryError) return `the issuer's keys could not be fetched (${(error as Error).message})`;
  return 'the token is not a valid JWT';
}

export class OidcDiscoveryError extends Error {
  readonly code = 'OIDC_DISCOVERY_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidcDiscoveryError';
  }
}

/**
 * Verifies JWT access or ID tokens of one OIDC issuer: keys from the issuer's discovery document
 * and JWKS (fetched once, refetched by jose when an unknown key id appears: key rotation), issuer,
 * audience, expiry with a small clock tolerance, and only the configured algorithms.
 */
export class OidcVerifier {
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;

  /**
   * `jwksCooldownMs`: least time between two JWKS fetches (a token with an unknown key id makes
   * one), so that random key ids cannot make the gateway hammer the issuer. Default 30 s.
   */
  constructor(
    readonly config: OidcIssuerConfig,
    private readonly jwksCooldownMs = 30_000,
  ) {}

  async verify(token: string): Promise<OidcResult> {
    try {
      const jwks = await this.keys();
      const { payload } = await jwtVerify(token, jwks, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: this.config.algorithms,
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
      });
      const name = typeof payload['name'] === 'string' ? payload['name'] : undefined;
      const email = typeof payload['email'] === 'string' ? payload['email'] : undefined;
      return {
        ok: true,
        identity: {
          subject: payload.sub!,
          issuer: this.config.issuer,
          ...(name === undefined ? {} : { name }),
          ...(email === undefined ? {} : { email }),
          groups: groupsOf(payload, this.config.groupsClaim),
          kind: this.config.kind,
          authentication: 'oidc',
        },
      };
    } catch (error) {
      return { ok: false, message: `gitgate: ${reasonOf(error)}` };
    }
  }

  private keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.jwks !== undefined) return Promise.resolve(this.jwks);
    this.discovering ??= this.discover().then(
      (jwks) => (this.jwks = jwks),
      (error: unknown) => {
        this.discovering = undefined; // try again on the next request
        throw error;
      },
    );
    return this.discovering;
  }

  private async discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const url = `${this.config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let document: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      document = (await response.json()) as typeof document;
    } catch (error) {
      throw new OidcDiscoveryError(`discovery at ${url} failed: ${(error as Error).message}`, { cause: error });
    }
    if (document.issuer !== this.config.issuer || typeof document.jwks_uri !== 'string') {
      throw new OidcDiscoveryError(`the discovery document at ${url} does not name issuer ${this.config.issuer} with a jwks_uri`);
    }
    return createRemoteJWKSet(new URL(document.jwks_uri), { timeoutDuration: 10_000, cooldownDuration: this.jwksCooldownMs });
  }
}
