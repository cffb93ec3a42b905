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

/**
 * The push error for a pack-parser error code: a limit makes the push too large, an unreadable
 * command section an invalid request, anything else an invalid pack.
 */
export function pushErrorCodeFor(packParserCode: string): PushErrorCode {
  if (packParserCode.startsWith('PACK_LIMIT')) return 'PUSH_TOO_LARGE';
  return packParserCode.startsWith('RECEIVE_PACK') ? 'PUSH_REQUEST_INVALID' : 'PUSH_PACK_INVALID';
}

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
