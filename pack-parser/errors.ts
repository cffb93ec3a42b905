/**
 * Every error the pack-parser library throws is a PackParserError with a stable `code`.
 * Callers switch on `code`; the message says what was wrong and, where it helps, what to do.
 */
export type PackParserErrorCode =
  // pkt-line and side-band
  | 'PKT_LINE_BAD_LENGTH'
  | 'PKT_LINE_TOO_LONG'
  | 'PKT_LINE_TRUNCATED'
  | 'SIDEBAND_BAD_CHANNEL'
  // receive-pack request
  | 'RECEIVE_PACK_BAD_COMMAND'
  | 'RECEIVE_PACK_BAD_REF_NAME'
  | 'RECEIVE_PACK_BAD_OBJECT_ID'
  | 'RECEIVE_PACK_NO_COMMANDS'
  | 'RECEIVE_PACK_DUPLICATE_REF'
  | 'RECEIVE_PACK_BAD_PUSH_CERT'
  | 'RECEIVE_PACK_TRUNCATED'
  | 'RECEIVE_PACK_BAD_PUSH_OPTION'
  | 'RECEIVE_PACK_TRAILING_DATA'
  | 'RECEIVE_PACK_TOO_LARGE'
  // pack stream structure
  | 'PACK_BAD_SIGNATURE'
  | 'PACK_UNSUPPORTED_VERSION'
  | 'PACK_TRUNCATED'
  | 'PACK_BAD_OBJECT_HEADER'
  | 'PACK_BAD_OBJECT_TYPE'
  | 'PACK_CHECKSUM_MISMATCH'
  | 'PACK_OBJECT_COUNT_MISMATCH'
  | 'PACK_TRAILING_DATA'
  | 'PACK_ZLIB_ERROR'
  | 'PACK_SIZE_MISMATCH'
  | 'PACK_DUPLICATE_OBJECT'
  // deltas
  | 'PACK_BAD_OFS_DELTA'
  | 'PACK_DELTA_BASE_MISSING'
  | 'PACK_DELTA_CORRUPT'
  | 'PACK_DELTA_OUT_OF_RANGE'
  | 'PACK_DELTA_CYCLE'
  // limits
  | 'PACK_LIMIT_PACK_BYTES'
  | 'PACK_LIMIT_OBJECT_COUNT'
  | 'PACK_LIMIT_OBJECT_SIZE'
  | 'PACK_LIMIT_DELTA_DEPTH'
  | 'PACK_LIMIT_INFLATE_RATIO'
  // object content
  | 'OBJECT_BAD_COMMIT'
  | 'OBJECT_BAD_TREE'
  | 'OBJECT_BAD_TAG'
  // idx
  | 'IDX_BAD_INPUT';

export class PackParserError extends Error {
  readonly code: PackParserErrorCode;
  /** Byte offset in the input where the problem was found, when known. */
  readonly offset: number | undefined;

  constructor(code: PackParserErrorCode, message: string, options?: { offset?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PackParserError';
    this.code = code;
    this.offset = options?.offset;
  }
}

export function isPackParserError(error: unknown, code?: PackParserErrorCode): error is PackParserError {
  return error instanceof PackParserError && (code === undefined || error.code === code);
}
