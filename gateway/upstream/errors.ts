/** Errors reaching or running an upstream; messages never contain its credential. */
export type UpstreamErrorCode = 'UPSTREAM_UNREACHABLE' | 'UPSTREAM_FAILED' | 'UPSTREAM_CREDENTIAL_UNAVAILABLE' | 'UPSTREAM_REQUEST_CUT';

export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode;

  constructor(code: UpstreamErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UpstreamError';
    this.code = code;
  }
}
