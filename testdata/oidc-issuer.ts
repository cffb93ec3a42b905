import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
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
  /** A person who can sign in at the authorize endpoint by typing `username`. */
  addUser(username: string, claims: OidcTestUser): void;
  /** A relying party: the authorize endpoint accepts only its exact redirect URI. */
  registerClient(client: OidcTestClient): void;
  /** Claims laid over the next ID tokens the token endpoint issues (to test refusals); undefined clears. */
  overrideIdTokens(claims: JWTPayload | undefined): void;
  /** Authorization codes issued / redeemed at the token endpoint. */
  codesIssued: () => number;
  close(): Promise<void>;
}

export interface OidcTestUser {
  sub: string;
  name?: string;
  email?: string;
  groups: string[];
}

export interface OidcTestClient {
  clientId: string;
  redirectUri: string;
  /** Confidential client: the token endpoint then needs client_secret_basic or client_secret_post. */
  secret?: string;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | undefined;
  user: OidcTestUser;
  expiresAt: number;
}

async function newKey(): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `key-${Math.random().toString(36).slice(2, 10)}`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method'];

/** The sign-in page a person sees at the issuer: a user name, Sign in or Cancel. */
function loginPage(params: URLSearchParams, message = ''): string {
  const hidden = AUTHORIZE_PARAMS.map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params.get(name) ?? '')}">`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test issuer sign-in</title></head><body>
<h1>Test issuer</h1>${message ? `<p role="alert">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/authorize">${hidden}
<label for="username">User name</label> <input id="username" name="username" autocomplete="username">
<button type="submit" name="action" value="login">Sign in</button> <button type="submit" name="action" value="cancel">Cancel</button>
</form></body></html>`;
}

/**
 * A real OIDC issuer on a local port: discovery document, JWKS, RS256 signing, key rotation, and
 * the authorization-code flow a browser goes through (authorize page with a sign-in form, PKCE S256
 * checked at the token endpoint, single-use codes, ID tokens with the login's nonce).
 */
export async function startOidcIssuer(): Promise<TestOidcIssuer> {
  let keys: IssuerKey[] = [await newKey()];
  let fetches = 0;
  let issuer = '';
  let issuedCodes = 0;
  let idTokenOverride: JWTPayload | undefined;
  const users = new Map<string, OidcTestUser>();
  const clients = new Map<string, OidcTestClient>();
  const codes = new Map<string, IssuedCode>();

  /** Standard claims first, so that `claims` (with the test's overrides) may replace any of them. */
  const signIdToken = (claims: JWTPayload, audience: string, key: IssuerKey = keys.at(-1)!) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: issuer, aud: audience, iat: now, exp: now + 300, ...claims }).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey);
  };

  /** Checks what the authorize endpoint must check before it may redirect back; an error text or undefined. */
  const authorizeProblem = (params: URLSearchParams): string | undefined => {
    const client = clients.get(params.get('client_id') ?? '');
    if (client === undefined) return 'unknown client_id';
    if (params.get('redirect_uri') !== client.redirectUri) return 'redirect_uri is not registered for this client';
    if (params.get('response_type') !== 'code') return 'response_type must be code';
    if (params.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(params.get('code_challenge') ?? '')) return 'PKCE with S256 is required';
    if (!(params.get('scope') ?? '').split(' ').includes('openid')) return 'scope must include openid';
    return undefined;
  };

  const authorize = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const params = request.method === 'POST' ? await readBody(request) : url.searchParams;
    const problem = authorizeProblem(params);
    if (problem !== undefined) {
      response.writeHead(400, { 'content-type': 'text/plain' }).end(`invalid authorization request: ${problem}`);
      return;
    }
    const back = new URL(params.get('redirect_uri')!);
    if (params.get('state') !== null) back.searchParams.set('state', params.get('state')!);
    if (request.method !== 'POST') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(params));
      return;
    }
    if (params.get('action') === 'cancel') {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'the user cancelled the sign-in');
      response.writeHead(302, { location: back.toString() }).end();
      return;
    }
    const user = users.get(params.get('username') ?? '');
    if (user === undefined) {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(params, 'Unknown user name'));
      return;
    }
    const code = randomBytes(24).toString('base64url');
    issuedCodes++;
    codes.set(code, {
      clientId: params.get('client_id')!,
      redirectUri: params.get('redirect_uri')!,
      codeChallenge: params.get('code_challenge')!,
      nonce: params.get('nonce') ?? undefined,
      user,
      expiresAt: Date.now() + 60_000,
    });
    back.searchParams.set('code', code);
    response.writeHead(302, { location: back.toString() }).end();
  };

  const token = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const form = await readBody(request);
    let clientId = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? undefined;
    const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '');
    if (basic !== null) {
      const [user, password] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').map((part) => decodeURIComponent(part ?? ''));
      clientId = user ?? '';
      secret = password;
    }
    const client = clients.get(clientId);
    if (client === undefined || (client.secret !== undefined && client.secret !== secret)) return sendJson(response, 401, { error: 'invalid_client' });
    if (form.get('grant_type') !== 'authorization_code') return sendJson(response, 400, { error: 'unsupported_grant_type' });
    const code = codes.get(form.get('code') ?? '');
    codes.delete(form.get('code') ?? ''); // single use, whatever happens next
    if (code === undefined || code.expiresAt < Date.now() || code.clientId !== clientId) return sendJson(response, 400, { error: 'invalid_grant' });
    if (form.get('redirect_uri') !== code.redirectUri) return sendJson(response, 400, { error: 'invalid_grant', error_description: 'redirect_uri differs' });
    const verifier = form.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge) {
      return sendJson(response, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
    }
    const { sub, ...profile } = code.user;
    const idToken = await signIdToken({ sub, ...profile, ...(code.nonce === undefined ? {} : { nonce: code.nonce }), ...idTokenOverride }, clientId);
    sendJson(response, 200, { access_token: randomBytes(24).toString('base64url'), token_type: 'Bearer', expires_in: 300, id_token: idToken });
  };

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://issuer.invalid');
    if (url.pathname === '/.well-known/openid-configuration') {
      sendJson(response, 200, {
        issuer,
        jwks_uri: `${issuer}/jwks`,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    } else if (url.pathname === '/jwks') {
      fetches++;
      sendJson(response, 200, { keys: keys.map((k) => k.publicJwk) });
    } else if (url.pathname === '/authorize') {
      authorize(request, response, url).catch(() => response.destroy());
    } else if (url.pathname === '/token' && request.method === 'POST') {
      token(request, response).catch(() => response.destroy());
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
    addUser: (username, claims) => users.set(username, claims),
    registerClient: (client) => clients.set(client.clientId, client),
    overrideIdTokens: (claims) => (idTokenOverride = claims),
    codesIssued: () => issuedCodes,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
