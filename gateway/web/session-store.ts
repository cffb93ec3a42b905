import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
  /** Absent before login: the session only carries the login form's CSRF token. */
  readonly identity: ApproverIdentity | undefined;
}

/** Where signed-in sessions are kept: this process's memory, or files (survive restarts, shared by processes). */
export interface SessionBackend {
  read(key: string): WebSession | undefined;
  write(key: string, session: WebSession): void;
  remove(key: string): void;
  keys(): string[];
}

export class MemorySessionBackend implements SessionBackend {
  private readonly sessions = new Map<string, WebSession>();
  read(key: string): WebSession | undefined {
    return this.sessions.get(key);
  }
  write(key: string, session: WebSession): void {
    this.sessions.set(key, session);
  }
  remove(key: string): void {
    this.sessions.delete(key);
  }
  keys(): string[] {
    return [...this.sessions.keys()];
  }
}

function isSession(value: unknown): value is WebSession {
  const s = value as Partial<WebSession> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.csrfToken === 'string' &&
    typeof s.createdAt === 'number' &&
    typeof s.expiresAt === 'number' &&
    typeof s.lastSeenAt === 'number' &&
    typeof s.identity === 'object' &&
    s.identity !== null &&
    typeof s.identity.subject === 'string' &&
    Array.isArray(s.identity.groups)
  );
}

/**
 * One JSON file per signed-in session (mode 0600, written by rename), named by the SHA-256 of the
 * cookie value: the files never hold a cookie. Every read goes to the file, so a sign-out in one
 * gateway process ends the session in all processes that share the directory.
 */
export class FileSessionBackend implements SessionBackend {
  constructor(private readonly directory: string) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  }
  read(key: string): WebSession | undefined {
    let text: string;
    try {
      text = readFileSync(this.pathOf(key), 'utf8');
    } catch {
      return undefined; // absent (signed out, swept) or unreadable: not signed in
    }
    try {
      const value: unknown = JSON.parse(text);
      return isSession(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }
  write(key: string, session: WebSession): void {
    const temporary = `${this.pathOf(key)}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(session), { mode: 0o600 });
    renameSync(temporary, this.pathOf(key));
  }
  remove(key: string): void {
    try {
      unlinkSync(this.pathOf(key));
    } catch {
      // already gone
    }
  }
  keys(): string[] {
    try {
      return readdirSync(this.directory)
        .filter((name) => name.endsWith('.json'))
        .map((name) => name.slice(0, -5));
    } catch {
      return [];
    }
  }
  private pathOf(key: string): string {
    return join(this.directory, `${key}.json`);
  }
}

export interface SessionStoreOptions {
  /** Lifetime of a signed-in session (seconds). */
  ttlSeconds: number;
  /** A signed-in session unused this long ends (seconds). */
  idleSeconds: number;
  /** Signed-in sessions; default in memory. */
  backend?: SessionBackend;
  /** Lifetime of an anonymous session and of a pending login. Default 10 minutes. */
  anonymousTtlSeconds?: number;
  /** Most anonymous sessions (and pending logins) kept; the oldest go first. Default 10,000. */
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

/** lastSeenAt is written back at most this often (so a page load is not a file write). */
const TOUCH_EVERY_MS = 30_000;

/**
 * Web sessions. The cookie holds a random id; sessions are keyed by its SHA-256, so neither memory
 * nor the session files hand out live cookies. Signing in replaces the session (a new id: no
 * session fixation). Signed-in sessions end at their absolute expiry or after being idle, and live
 * in the backend; anonymous sessions (the login form's CSRF token) and pending OIDC logins live in
 * this process's memory only, bounded in number, so that anonymous visitors cannot fill the disk.
 */
export class SessionStore {
  private readonly backend: SessionBackend;
  private readonly anonymous = new Map<string, WebSession>();
  private readonly pendingLogins = new Map<string, { pending: PendingOidcLogin; expiresAt: number }>();
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(private readonly options: SessionStoreOptions) {
    this.now = options.now ?? Date.now;
    this.backend = options.backend ?? new MemorySessionBackend();
  }

  /** A new anonymous session (for the login form's CSRF token or a pending login). */
  createAnonymous(): { id: string; session: WebSession } {
    this.sweep();
    const max = this.options.maxAnonymous ?? 10_000;
    for (const key of this.anonymous.keys()) {
      if (this.anonymous.size < max) break;
      this.anonymous.delete(key); // Map order: the oldest first
    }
    const { id, session } = this.newSession(undefined, this.anonymousTtlMs);
    this.anonymous.set(idHash(id), session);
    return { id, session };
  }

  /** Ends `previousId` (if any) and starts a signed-in session with a new id. */
  signIn(previousId: string | undefined, identity: ApproverIdentity): { id: string; session: WebSession } {
    if (previousId !== undefined) this.destroy(previousId);
    this.sweep();
    const { id, session } = this.newSession(identity, this.options.ttlSeconds * 1000);
    this.backend.write(idHash(id), session);
    return { id, session };
  }

  /** The live session of a cookie value; an expired or idle one is removed and not returned. */
  get(id: string | undefined): WebSession | undefined {
    if (id === undefined || id === '') return undefined;
    const key = idHash(id);
    const now = this.now();
    const anonymous = this.anonymous.get(key);
    if (anonymous !== undefined) {
      if (now < anonymous.expiresAt) return anonymous;
      this.anonymous.delete(key);
      return undefined;
    }
    const session = this.backend.read(key);
    if (session === undefined) return undefined;
    if (this.ended(session, now)) {
      this.backend.remove(key);
      return undefined;
    }
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) {
      session.lastSeenAt = now;
      this.backend.write(key, session);
    }
    return session;
  }

  destroy(id: string): void {
    const key = idHash(id);
    this.anonymous.delete(key);
    this.pendingLogins.delete(key);
    this.backend.remove(key);
  }

  /** Remembers an OIDC login started by the browser holding `id` (one at a time per browser). */
  setPendingOidc(id: string, pending: PendingOidcLogin): void {
    const key = idHash(id);
    this.pendingLogins.delete(key);
    const max = this.options.maxAnonymous ?? 10_000;
    for (const oldest of this.pendingLogins.keys()) {
      if (this.pendingLogins.size < max) break;
      this.pendingLogins.delete(oldest);
    }
    this.pendingLogins.set(key, { pending, expiresAt: this.now() + this.anonymousTtlMs });
  }

  /** The pending OIDC login of this browser, forgotten as it is returned (one use). */
  takePendingOidc(id: string | undefined): PendingOidcLogin | undefined {
    if (id === undefined) return undefined;
    const key = idHash(id);
    const entry = this.pendingLogins.get(key);
    this.pendingLogins.delete(key);
    return entry !== undefined && this.now() < entry.expiresAt ? entry.pending : undefined;
  }

  private get anonymousTtlMs(): number {
    return (this.options.anonymousTtlSeconds ?? 600) * 1000;
  }

  private ended(session: WebSession, now: number): boolean {
    return now >= session.expiresAt || now - session.lastSeenAt > this.options.idleSeconds * 1000;
  }

  private newSession(identity: ApproverIdentity | undefined, lifetimeMs: number): { id: string; session: WebSession } {
    const now = this.now();
    return { id: randomToken(), session: { csrfToken: randomToken(), createdAt: now, expiresAt: now + lifetimeMs, lastSeenAt: now, identity } };
  }

  /** Drops ended sessions and pending logins, at most once a minute. */
  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, session] of this.anonymous) if (now >= session.expiresAt) this.anonymous.delete(key);
    for (const [key, entry] of this.pendingLogins) if (now >= entry.expiresAt) this.pendingLogins.delete(key);
    for (const key of this.backend.keys()) {
      const session = this.backend.read(key);
      if (session === undefined || this.ended(session, now)) this.backend.remove(key);
    }
  }
}
