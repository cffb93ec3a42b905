import type { IncomingMessage } from 'node:http';
import type { ApproverAuthentication, ApproverAuthenticator } from '../approvals/index.js';
import { parseCookies } from './http-io.js';
import { constantTimeEqual, type SessionStore } from './session-store.js';
import { serviceIdentity } from './web-context.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Lets a signed-in browser call the approvals REST API with its session cookie. Browsers send
 * cookies on their own, so a state-changing call must also carry the session's CSRF token in
 * `X-CSRF-Token` (a header other sites cannot set without CORS, which gitgate never grants).
 */
export class SessionApproverAuthenticator implements ApproverAuthenticator {
  readonly name = 'web-session';

  constructor(
    private readonly sessions: SessionStore,
    private readonly cookieName: string,
  ) {}

  authenticate(request: IncomingMessage): Promise<ApproverAuthentication> {
    const id = parseCookies(request.headers.cookie).get(this.cookieName);
    if (id === undefined) return Promise.resolve({ kind: 'none' });
    const session = this.sessions.get(id);
    if (session?.identity === undefined) return Promise.resolve({ kind: 'invalid', message: 'your web session ended; sign in again at /ui/login' });
    if (!SAFE_METHODS.has(request.method ?? 'GET')) {
      const header = request.headers['x-csrf-token'];
      const token = Array.isArray(header) ? header[0] : header;
      if (token === undefined || !constantTimeEqual(token, session.csrfToken)) {
        return Promise.resolve({ kind: 'invalid', message: 'a state-changing call with a session cookie needs the session CSRF token in X-CSRF-Token' });
      }
    }
    return Promise.resolve({ kind: 'identity', identity: serviceIdentity(session.identity) });
  }
}
