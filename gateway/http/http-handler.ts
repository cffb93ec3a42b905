import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A part of the gateway that serves its own paths beside git smart HTTP (the approvals API and
 * web UI, the GitHub REST API proxy...). The server asks each handler in turn, before treating the
 * request as git: the first that claims the request answers it; the others never see it.
 * Handlers authenticate their own requests (an approver's session is not an agent's token).
 */
export interface GatewayHttpHandler {
  /** For logs: which handler answered. */
  readonly name: string;
  /** True when this handler serves the request's path (checked on the path only, no I/O). */
  claims(method: string, url: URL): boolean;
  handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void>;
}
