import { PackParserError, type PackParserErrorCode } from '../errors.js';
import { decodeText } from './text-decoding.js';

/** An author, committer or tagger line: `Name <email> 1700000000 +0200`. */
export interface GitIdentity {
  readonly name: string;
  readonly email: string;
  /** Seconds since the epoch, as written. */
  readonly timestamp: number;
  /** The time zone exactly as written, e.g. `+0200`. */
  readonly timezone: string;
  /** The time zone as minutes east of UTC (`+0200` is 120, `-0130` is -90). */
  readonly timezoneOffsetMinutes: number;
}

const LT = 0x3c;
const GT = 0x3e;
const SPACE = 0x20;
const PLUS = 0x2b;
const MINUS = 0x2d;

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

/**
 * Parses an identity with git fsck's rules (fsck_ident): a name without `<>`, a space, `<email>`
 * without `<>`, a space, a decimal timestamp without leading zeros, a space and `[+-]hhmm`.
 * The name has surrounding spaces trimmed, as git displays it. `offset` locates `value` in the
 * object for error messages.
 */
export function parseIdentity(
  value: Buffer,
  encoding: string | undefined,
  code: PackParserErrorCode,
  what: string,
  offset: number,
): GitIdentity {
  const fail = (problem: string): never => {
    throw new PackParserError(code, `malformed ${what} line at offset ${offset}: ${problem}`, { offset });
  };
  const lt = value.indexOf(LT);
  const gtBeforeEmail = value.indexOf(GT);
  if (lt < 0) fail('missing email');
  if (lt === 0) fail('missing name before email');
  if (gtBeforeEmail >= 0 && gtBeforeEmail < lt) fail('bad name');
  if (value[lt - 1] !== SPACE) fail('missing space before email');
  const gt = value.indexOf(GT, lt + 1);
  const secondLt = value.indexOf(LT, lt + 1);
  if (gt < 0 || (secondLt >= 0 && secondLt < gt)) fail('bad email');
  if (value[gt + 1] !== SPACE) fail('missing space before date');
  const dateStart = gt + 2;
  let dateEnd = dateStart;
  while (isDigit(value[dateEnd])) dateEnd++;
  if (value[dateStart] === 0x30 && dateEnd - dateStart > 1) fail('zero-padded date');
  if (dateEnd === dateStart || value[dateEnd] !== SPACE) fail('bad date');
  const timestamp = Number(value.toString('latin1', dateStart, dateEnd));
  if (!Number.isSafeInteger(timestamp)) fail('date out of range');
  const tz = dateEnd + 1;
  const sign = value[tz];
  if (
    (sign !== PLUS && sign !== MINUS) ||
    !isDigit(value[tz + 1]) ||
    !isDigit(value[tz + 2]) ||
    !isDigit(value[tz + 3]) ||
    !isDigit(value[tz + 4]) ||
    value.length !== tz + 5
  ) {
    fail('bad time zone');
  }
  const hours = (value[tz + 1]! - 0x30) * 10 + (value[tz + 2]! - 0x30);
  const minutes = (value[tz + 3]! - 0x30) * 10 + (value[tz + 4]! - 0x30);
  let nameStart = 0;
  let nameEnd = lt - 1;
  while (nameStart < nameEnd && value[nameStart] === SPACE) nameStart++;
  while (nameEnd > nameStart && value[nameEnd - 1] === SPACE) nameEnd--;
  return {
    name: decodeText(value.subarray(nameStart, nameEnd), encoding),
    email: decodeText(value.subarray(lt + 1, gt), encoding),
    timestamp,
    timezone: value.toString('latin1', tz, tz + 5),
    timezoneOffsetMinutes: sign === MINUS && hours + minutes > 0 ? -(hours * 60 + minutes) : hours * 60 + minutes,
  };
}
