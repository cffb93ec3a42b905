import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Who signed in to the web UI, and how. */
export interface ApproverIdentity {
  subject: string;
  /** The OIDC issuer, the SAML IdP entity id, or `gitgate:static-tokens`. */
  issuer: string;
  name?: string;
  email?: string;
  groups: string[];
  authentication: 'oidc' | 'saml' | 'token';
}

/** An OIDC authorization-code login in progress (state, nonce and PKCE verifier stay server-side). */
export interface PendingOidcLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Where to go after login (a /ui path). */
  next: string;
}

export interface WebSession {
  /** Synchronizer token every state-changing form carries. */
  readonly csrfToken: string;
  readonly createdAt: number;
  /** Absolute end: signed-in sessions end after the configured lifetime whatever the activity. */
  readonly expiresAt: number;
  lastSeenAt: number;
  /** Absent before login: the session only carries the login form's CSRF token or a pending login. */
  identity: ApproverIdentity | undefined;
  pendingOidc: PendingOidcLogin | undefined;
}

export interface SessionStoreOptions {
  /** Lifetime of a signed-in session (seconds). */
  ttlSeconds: number;
  /** A signed-in session unused this long ends (seconds). */
  idleSeconds: number;
  /** Lifetime of an anonymous (login in progress) session. Default 10 minutes. */
  anonymousTtlSeconds?: number;
  /** Most anonymous sessions kept; the oldest go first. Default 10,000. */
  maxAnonymous?: number;
  now?: () => number;
}

function idHash(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** A random value for cookies, CSRF tokens, state, nonce and PKCE verifiers: 256 bits, base64url. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Server-side web sessions in memory. The cookie holds a random id; the store keys sessions by its
 * SHA-256, so a memory dump does not hand out live cookies. Signing in replaces the session (a new
 * id: no session fixation). Sessions end at their absolute expiry or after being idle.
 */
export class SessionStore {
  private readonly sessions = new Map<string, WebSession>();
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(private readonly options: SessionStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A new anonymous session (for the login form's CSRF token or a pending login). */
  createAnonymous(): { id: string; session: WebSession } {
    this.sweep();
    const anonymous = [...this.sessions.entries()].filter(([, s]) => s.identity === undefined);
    const max = this.options.maxAnonymous ?? 10_000;
    for (const [key] of anonymous.slice(0, Math.max(0, anonymous.length - max + 1))) this.sessions.delete(key);
    return this.insert(undefined, (this.options.anonymousTtlSeconds ?? 600) * 1000);
  }

  /** Ends `previousId` (if any) and starts a signed-in session with a new id. */
  signIn(previousId: string | undefined, identity: ApproverIdentity): { id: string; session: WebSession } {
    if (previousId !== undefined) this.destroy(previousId);
    this.sweep();
    return this.insert(identity, this.options.ttlSeconds * 1000);
  }

  /** The live session of a cookie value; an expired or idle one is removed and not returned. */
  get(id: string | undefined): WebSession | undefined {
    if (id === undefined || id === '') return undefined;
    const key = idHash(id);
    const session = this.sessions.get(key);
    if (session === undefined) return undefined;
    const now = this.now();
    const idle = session.identity !== undefined && now - session.lastSeenAt > this.options.idleSeconds * 1000;
    if (now >= session.expiresAt || idle) {
      this.sessions.delete(key);
      return undefined;
    }
    session.lastSeenAt = now;
    return session;
  }

  destroy(id: string): void {
    this.sessions.delete(idHash(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  private insert(identity: ApproverIdentity | undefined, lifetimeMs: number): { id: string; session: WebSession } {
    const id = randomToken();
    const now = this.now();
    const session: WebSession = { csrfToken: randomToken(), createdAt: now, expiresAt: now + lifetimeMs, lastSeenAt: now, identity, pendingOidc: undefined };
    this.sessions.set(idHash(id), session);
    return { id, session };
  }

  /** Drops expired sessions, at most once a minute. */
  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, session] of this.sessions) {
      if (now >= session.expiresAt || (session.identity !== undefined && now - session.lastSeenAt > this.options.idleSeconds * 1000)) this.sessions.delete(key);
    }
  }
}
