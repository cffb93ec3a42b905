import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';

/** A GitHub App as the fake knows it: its id and the public half of its key. */
export interface FakeGitHubApp {
  appId: string;
  publicKey: KeyObject;
  installationId: number;
  /** Repositories (`owner/name`) the app is installed on. */
  repositories: string[];
  /** Lifetime of installation tokens; GitHub's is one hour. */
  tokenLifetimeSeconds: number;
}

export interface InstallationToken {
  token: string;
  expiresAt: number;
  /** Repositories (`owner/name`) it may reach; undefined: every repository of the installation. */
  repositories: string[] | undefined;
}

/** An RSA key pair for a test GitHub App, made at run time (PKCS#1 PEM, as GitHub hands out). */
export function generateAppKeyPair(): { privateKeyPem: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKey };
}

/** Installation tokens look like GitHub's: `ghs_` and 36 alphanumerics. */
function newInstallationToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(36);
  let out = 'ghs_';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

export type JwtCheck = { ok: true } | { ok: false; message: string };

/**
 * What GitHub checks of an app JWT: RS256 signature by the app's key, `iss` = the app id,
 * `iat` not in the future (60 s of drift allowed), `exp` in the future and at most 10 minutes
 * after `iat`.
 */
export async function verifyAppJwt(app: FakeGitHubApp, jwt: string, now: number): Promise<JwtCheck> {
  try {
    if (decodeProtectedHeader(jwt).alg !== 'RS256') return { ok: false, message: "'alg' must be RS256" };
    const { payload } = await jwtVerify(jwt, app.publicKey, { algorithms: ['RS256'], currentDate: new Date(now) });
    if (String(payload.iss) !== app.appId) return { ok: false, message: "'Issuer' claim ('iss') must be the app id" };
    if (typeof payload.iat !== 'number' || typeof payload.exp !== 'number') return { ok: false, message: "'iat' and 'exp' claims are required" };
    if (payload.iat * 1000 > now + 60_000) return { ok: false, message: "'Issued at' claim ('iat') must be an Integer representing a time in the past." };
    if (payload.exp - payload.iat > 600) return { ok: false, message: "'Expiration time' claim ('exp') is too far in the future" };
    return { ok: true };
  } catch (error) {
    return { ok: false, message: `A JSON web token could not be decoded (${(error as Error).message})` };
  }
}

/** The installation tokens the fake has issued. */
export class InstallationTokens {
  private readonly issued = new Map<string, InstallationToken>();
  exchanges = 0;

  constructor(private readonly app: FakeGitHubApp) {}

  issue(now: number, repositories: string[] | undefined): InstallationToken {
    this.exchanges += 1;
    const token: InstallationToken = { token: newInstallationToken(), expiresAt: now + this.app.tokenLifetimeSeconds * 1000, repositories };
    this.issued.set(token.token, token);
    return token;
  }

  /** The token when it was issued and has not expired. */
  valid(token: string, now: number): InstallationToken | undefined {
    const found = this.issued.get(token);
    return found !== undefined && found.expiresAt > now ? found : undefined;
  }

  /** As when an app's token is revoked (DELETE /installation/token): later calls get 401. */
  revoke(token: string): void {
    this.issued.delete(token);
  }

  all(): InstallationToken[] {
    return [...this.issued.values()];
  }
}
