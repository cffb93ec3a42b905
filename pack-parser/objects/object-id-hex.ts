import { PackParserError, type PackParserErrorCode } from '../errors.js';
import { isLowerHex } from '../hex.js';

/** Length in bytes of an object id: 20 for SHA-1, 32 for SHA-256. */
export type HashLength = 20 | 32;

/**
 * Reads a header value that must be exactly one object id in lowercase hex (git writes no other
 * form) and returns it.
 */
export function readObjectIdHex(
  value: Buffer,
  hashLength: HashLength,
  code: PackParserErrorCode,
  what: string,
  offset: number,
): string {
  if (value.length !== hashLength * 2 || !isLowerHex(value, 0, value.length)) {
    throw new PackParserError(
      code,
      `malformed ${what} at offset ${offset}: expected ${hashLength * 2} lowercase hex digits, got ${JSON.stringify(value.toString('latin1', 0, 80))}`,
      { offset },
    );
  }
  return value.toString('latin1');
}
