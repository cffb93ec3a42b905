/**
 * Secrets written in UTF-16. Git and the byte-oriented rules see "A\0K\0I\0A\0…": a UTF-16 file
 * looks binary (it is full of NUL bytes) and no pattern matches it. Two ways of reading it:
 *
 * - a file that starts with a UTF-16 byte order mark is text (Windows writes .reg exports, SQL
 *   scripts from SQL Server Management Studio, PowerShell and resource files this way), and so is
 *   a file without the mark whose every character is text, most of them ASCII (.NET's
 *   `Encoding.Unicode.GetBytes` writes no mark): `utf16TextOf` recognises both and
 *   `utf16TextAsUtf8` decodes them, so they can be scanned as the text they are, line by line;
 * - other binaries hold UTF-16LE strings among their bytes (.NET assemblies keep every string
 *   literal so, Windows executables their resources): `utf16LeStrings` lists every run of at
 *   least `UTF16_MIN_STRING_CHARS` printable ASCII characters encoded so, as `strings -el` does,
 *   at both byte alignments.
 */

import { StringDecoder } from 'node:string_decoder';

export type Utf16Encoding = 'utf16le' | 'utf16be';

/**
 * Shorter runs are not read. A run must hold a whole match, keyword and secret: the shortest the
 * rules for binaries find are about 20 characters (an AWS access key id).
 */
export const UTF16_MIN_STRING_CHARS = 16;

/**
 * Every run of `UTF16_MIN_STRING_CHARS` characters covers `2 * UTF16_MIN_STRING_CHARS - 1`
 * consecutive offsets at which its pair can be probed; an even step no larger lands on one.
 */
const PROBE_STEP = 2 * UTF16_MIN_STRING_CHARS - 2;

/** The encoding a byte order mark at the start names, or undefined without one. */
export function utf16TextEncoding(content: Uint8Array): Utf16Encoding | undefined {
  if (content.length < 2) return undefined;
  if (content[0] === 0xff && content[1] === 0xfe) return 'utf16le';
  if (content[0] === 0xfe && content[1] === 0xff) return 'utf16be';
  return undefined;
}

/** A file read as UTF-16 text: its encoding, and where the text starts (after the byte order mark, or at 0). */
export interface Utf16Text {
  encoding: Utf16Encoding;
  start: 0 | 2;
}

/** UTF-16 text with or without a byte order mark (see unmarkedUtf16Encoding), or undefined. */
export function utf16TextOf(content: Uint8Array): Utf16Text | undefined {
  const marked = utf16TextEncoding(content);
  if (marked !== undefined) return { encoding: marked, start: 2 };
  const unmarked = unmarkedUtf16Encoding(content);
  return unmarked === undefined ? undefined : { encoding: unmarked, start: 0 };
}

/** Shorter content without a byte order mark is not taken for UTF-16 text. */
const UNMARKED_MIN_CHARS = 16;
/** The share of characters of an unmarked UTF-16 text that must be printable ASCII, tab or line ends. */
const UNMARKED_MIN_ASCII_SHARE = 0.9;

/**
 * The encoding of content without a byte order mark that is UTF-16 text throughout: an even
 * number of bytes, no NUL and no other control character but tab and line ends, and at least 90%
 * of the characters printable ASCII. A binary fails within its first NUL character or control
 * byte, so the walk over the whole content costs only what is text; UTF-8 text, which has no NUL
 * byte among its first 16 pairs, is not walked at all. Content shorter than 16 characters is not
 * recognised, nor text whose first 16 characters are all outside Latin-1.
 */
export function unmarkedUtf16Encoding(content: Uint8Array): Utf16Encoding | undefined {
  if (content.length < 2 * UNMARKED_MIN_CHARS || content.length % 2 !== 0) return undefined;
  // Text in UTF-8 (nearly every file) has no NUL byte; ASCII in UTF-16 has one in every character.
  if (!content.subarray(0, 2 * UNMARKED_MIN_CHARS).includes(0)) return undefined;
  if (isUtf16Text(content, 0)) return 'utf16le';
  if (isUtf16Text(content, 1)) return 'utf16be';
  return undefined;
}

/** The check of unmarkedUtf16Encoding, with each character's low byte at `lowByte` (0: little-endian). */
function isUtf16Text(content: Uint8Array, lowByte: 0 | 1): boolean {
  const highByte = 1 - lowByte;
  let ascii = 0;
  let characters = 0;
  for (let i = 0; i < content.length; i += 2) {
    const low = content[i + lowByte]!;
    if (content[i + highByte] === 0) {
      if (low >= 0x20 && low < 0x7f) ascii++;
      else if (low === 0x09 || low === 0x0a || low === 0x0d) ascii++;
      else if (low < 0x20 || low === 0x7f) return false; // NUL and the other control characters
    }
    characters++;
    // A binary that starts like text is given up on early, at the first of these checkpoints it fails.
    if ((characters & 1023) === 0 && ascii < characters * UNMARKED_MIN_ASCII_SHARE) return false;
  }
  return ascii >= characters * UNMARKED_MIN_ASCII_SHARE;
}

/** Bytes decoded at a time: a file of hundreds of MB never becomes one JavaScript string. */
const DECODE_CHUNK_BYTES = 1024 * 1024;

/**
 * The text (after the byte order mark, if any), in UTF-8. Lines stay where they were (one newline
 * for one); a character the bytes do not encode validly becomes U+FFFD. An odd last byte is
 * dropped. Decoded a megabyte at a time (a surrogate pair split between two is kept whole).
 */
export function utf16TextAsUtf8(content: Buffer, { encoding, start }: Utf16Text): Buffer {
  const body = content.subarray(start, start + ((content.length - start) & ~1));
  const decoder = new StringDecoder('utf16le');
  const pieces: Buffer[] = [];
  for (let at = 0; at < body.length; at += DECODE_CHUNK_BYTES) {
    const chunk = body.subarray(at, at + DECODE_CHUNK_BYTES);
    pieces.push(Buffer.from(decoder.write(encoding === 'utf16le' ? chunk : Buffer.from(chunk).swap16()), 'utf8'));
  }
  pieces.push(Buffer.from(decoder.end(), 'utf8'));
  return Buffer.concat(pieces);
}

/** One run of `utf16LeStrings`: where it lies in the content and in the extracted text. */
export interface Utf16StringRun {
  /** Offset of its first character's first byte in the content. */
  sourceStart: number;
  /** Offset of its first character in `text`. */
  textStart: number;
  /** Characters (each two bytes in the content, one in `text`). */
  chars: number;
}

export interface Utf16Strings {
  /** The runs' characters, one run per line (each ends with a newline), in content order. */
  text: Buffer;
  runs: Utf16StringRun[];
}

/** Which byte alignments `utf16LeStrings` reads: runs starting at even offsets, odd ones, or both. */
export type Utf16Alignment = 'even' | 'odd';

/** Tab and printable ASCII; line ends end a run, so that each run is one line of `text`. */
function isStringByte(byte: number): boolean {
  return byte === 9 || (byte >= 0x20 && byte <= 0x7e);
}

/**
 * Every run of at least `UTF16_MIN_STRING_CHARS` UTF-16LE characters in tab and printable ASCII
 * (a character byte, then a zero byte), at the alignments asked for.
 *
 * It probes one offset in `PROBE_STEP` (30 bytes), the only cost for bytes that hold no such
 * string: every long enough run contains a multiple of the step whose pair lies in the run (the
 * pair at that offset for a run at an even offset, the one after it for a run at an odd offset).
 * A candidate pair is widened to its whole run, and probing goes on after the run.
 */
export function utf16LeStrings(content: Buffer, alignments: readonly Utf16Alignment[] = ['even', 'odd']): Utf16Strings {
  const even = alignments.includes('even');
  const odd = alignments.includes('odd');
  const found: { start: number; end: number }[] = [];
  const length = content.length;
  let floor = 0; // runs never start before the end of the last one
  for (let probe = 0; probe + 1 < length; probe += PROBE_STEP) {
    if (probe < floor) continue;
    let pair = -1;
    if (even && content[probe + 1] === 0 && isStringByte(content[probe]!)) pair = probe;
    else if (odd && probe + 2 < length && content[probe + 2] === 0 && isStringByte(content[probe + 1]!)) pair = probe + 1;
    if (pair < 0) continue;
    let start = pair;
    while (start - 2 >= floor && content[start - 1] === 0 && isStringByte(content[start - 2]!)) start -= 2;
    let end = pair;
    while (end + 1 < length && content[end + 1] === 0 && isStringByte(content[end]!)) end += 2;
    if ((end - start) / 2 >= UTF16_MIN_STRING_CHARS) {
      found.push({ start, end });
      floor = end;
    }
  }
  let textLength = 0;
  for (const run of found) textLength += (run.end - run.start) / 2 + 1;
  const text = Buffer.allocUnsafe(textLength);
  const runs: Utf16StringRun[] = [];
  let at = 0;
  for (const run of found) {
    runs.push({ sourceStart: run.start, textStart: at, chars: (run.end - run.start) / 2 });
    for (let i = run.start; i < run.end; i += 2) text[at++] = content[i]!;
    text[at++] = 10;
  }
  return { text, runs };
}
