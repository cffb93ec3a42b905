import type { Readable } from 'node:stream';

export type GitService = 'git-upload-pack' | 'git-receive-pack';

/** What the upstream answered; the body streams. */
export interface UpstreamResponse {
  status: number;
  contentType: string;
  body: Readable;
}

export interface UpstreamRequest {
  /** The client's `Git-Protocol` header, already checked (`version=2`). */
  gitProtocol: string | undefined;
  userAgent: string | undefined;
  /** Aborting it stops the request: the connection is closed, a local git is killed. */
  signal?: AbortSignal;
}

/** One repository's upstream, whatever it is: the gateway speaks smart HTTP to it. */
export interface GitUpstream {
  /** `GET info/refs?service=...`: the ref advertisement. */
  advertise(service: GitService, request: UpstreamRequest): Promise<UpstreamResponse>;
  /** `POST <service>` with the given body. */
  rpc(service: GitService, body: Readable, request: RpcRequest): Promise<UpstreamResponse>;
}

export interface RpcRequest extends UpstreamRequest {
  /** `gzip` when the body is still compressed as the client sent it. */
  contentEncoding?: string | undefined;
  /** The body's length in bytes, when known: sent as `Content-Length` rather than chunked. */
  contentLength?: number | undefined;
}

/** Only `key=value` pairs separated by `:` (what git sends), so nothing odd reaches git's env. */
export function sanitizeGitProtocol(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return /^[A-Za-z0-9_.-]+=[A-Za-z0-9_.-]*(:[A-Za-z0-9_.-]+=[A-Za-z0-9_.-]*)*$/.test(header) ? header : undefined;
}

/** The protocol version the client asked for: 2 with `version=2`, else 0. */
export function protocolVersionOf(gitProtocol: string | undefined): 0 | 1 | 2 {
  const version = gitProtocol?.split(':').find((p) => p.startsWith('version='))?.slice('version='.length);
  return version === '2' ? 2 : version === '1' ? 1 : 0;
}
