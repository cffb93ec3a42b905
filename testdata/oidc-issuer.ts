import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';

interface IssuerKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export interface TestOidcIssuer {
  issuer: string;
  /** Signs a token with the current key (RS256); `expiresIn` like jose's (`'5m'`, or seconds from now). */
  sign(claims: JWTPayload, options?: { audience?: string; expiresIn?: string | number; kid?: string }): Promise<string>;
  /** Adds a new signing key and publishes it; old keys stay published unless `retireOld`. */
  rotate(retireOld?: boolean): Promise<void>;
  /** How many times the JWKS was fetched. */
  jwksFetches: () => number;
  close(): Promise<void>;
}

async function newKey(): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `key-${Math.random().toString(36).slice(2, 10)}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** A real OIDC issuer on a local port: discovery document, JWKS, RS256 signing, key rotation. */
export async function startOidcIssuer(): Promise<TestOidcIssuer> {
  let keys: IssuerKey[] = [await newKey()];
  let fetches = 0;
  let issuer = '';
  const server: Server = createServer((request, response) => {
    if (request.url === '/.well-known/openid-configuration') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }));
    } else if (request.url === '/jwks') {
      fetches++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    sign: async (claims, options = {}) => {
      const key = keys.find((k) => k.kid === options.kid) ?? keys.at(-1)!;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .setIssuer(issuer)
        .setAudience(options.audience ?? 'gitgate')
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '5m')
        .sign(key.privateKey);
    },
    rotate: async (retireOld = false) => {
      const key = await newKey();
      keys = retireOld ? [key] : [...keys, key];
    },
    jwksFetches: () => fetches,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
