import type { ReceivePackRequest } from '../../pack-parser/index.js';

/** Errors of push inspection; each becomes a git-native rejection the user sees. */
export type PushErrorCode =
  | 'PUSH_REQUEST_INVALID'
  | 'PUSH_PACK_INVALID'
  | 'PUSH_OBJECT_MISSING'
  | 'PUSH_UPSTREAM_READ_FAILED'
  | 'PUSH_TOO_LARGE'
  /** The push carries content the inspection cannot reach: refused rather than forwarded unseen. */
  | 'PUSH_UNINSPECTABLE';

export class PushError extends Error {
  readonly code: PushErrorCode;
  /**
   * The request's commands and capabilities, when the error came after they were read (in the
   * pack): the refusal can then be a report-status that git shows, not a bare HTTP error.
   */
  request: ReceivePackRequest | undefined;

  constructor(code: PushErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PushError';
    this.code = code;
  }
}
