/** Errors of push inspection; each becomes a git-native rejection the user sees. */
export type PushErrorCode = 'PUSH_REQUEST_INVALID' | 'PUSH_PACK_INVALID' | 'PUSH_OBJECT_MISSING' | 'PUSH_UPSTREAM_READ_FAILED' | 'PUSH_TOO_LARGE';

export class PushError extends Error {
  readonly code: PushErrorCode;

  constructor(code: PushErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PushError';
    this.code = code;
  }
}
