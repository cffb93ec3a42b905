import type { IncomingMessage } from 'node:http';
import { authenticate } from '../identity/authenticate.js';
import type { OidcVerifier } from '../identity/oidc-verifier.js';
import type { TokenStore } from '../identity/token-store.js';
import type { ApproverIdentity } from './approval-state.js';

/**
 * What an authenticator concludes about a request: nothing it recognises (`none`: the next one is
 * asked), a proven identity, or a credential it recognises but refuses (`invalid`: the request is
 * refused, no other authenticator is asked).
 */
export type ApproverAuthentication =
  | { kind: 'none' }
  | { kind: 'identity'; identity: ApproverIdentity }
  | { kind: 'invalid'; message: string };

/**
 * One way the approvals API and web UI learn who is calling. The REST API asks a list of them in
 * order: the Bearer authenticator here; the web UI adds its session-cookie authenticator (which
 * must also check CSRF for state-changing methods, since browsers send cookies on their own).
 */
export interface ApproverAuthenticator {
  readonly name: string;
  authenticate(request: IncomingMessage): Promise<ApproverAuthentication>;
}

/**
 * `Authorization: Bearer <token>` (or Basic with the token as password): the gateway's static
 * tokens with their groups (`gitgate token create --kind human`, and the admin token of the
 * embedded default, stored hashed like all of them), or a JWT of a configured OIDC issuer.
 */
export class BearerApproverAuthenticator implements ApproverAuthenticator {
  readonly name = 'bearer';

  constructor(
    private readonly tokens: TokenStore,
    private readonly oidc: readonly OidcVerifier[],
  ) {}

  async authenticate(request: IncomingMessage): Promise<ApproverAuthentication> {
    const header = request.headers.authorization;
    if (header === undefined || header === '') return { kind: 'none' };
    const result = await authenticate(header, this.tokens, this.oidc);
    if (!result.ok) return { kind: 'invalid', message: result.message };
    return { kind: 'identity', identity: result.identity };
  }
}

/** The first authenticator that recognises the request decides; `none` when nobody does. */
export async function authenticateApprover(request: IncomingMessage, authenticators: readonly ApproverAuthenticator[]): Promise<ApproverAuthentication> {
  for (const authenticator of authenticators) {
    const result = await authenticator.authenticate(request);
    if (result.kind !== 'none') return result;
  }
  return { kind: 'none' };
}
