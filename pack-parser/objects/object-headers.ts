import { PackParserError, type PackParserErrorCode } from '../errors.js';

/** One header line of a commit or tag, continuation lines joined with LF (leading space removed). */
export interface ObjectHeader {
  readonly name: string;
  readonly value: Buffer;
  /** Offset of the header line in the object content. */
  readonly offset: number;
}

const LF = 0x0a;
const SPACE = 0x20;
const NUL = 0x00;

/**
 * Splits a commit or tag into its header lines and the offset where the message starts, with
 * git fsck's rules: no NUL in the headers, headers end at the first blank line, or at the end of
 * the content if that ends with LF (then the message is empty).
 */
export function readObjectHeaders(
  content: Buffer,
  code: PackParserErrorCode,
  kind: string,
): { headers: ObjectHeader[]; messageStart: number } {
  const fail = (message: string, offset: number): never => {
    throw new PackParserError(code, `malformed ${kind}: ${message} at offset ${offset}`, { offset });
  };
  const blank = content.indexOf('\n\n', 0, 'latin1');
  const headersEnd = blank < 0 ? content.length : blank + 1;
  if (blank < 0 && content.length > 0 && content[content.length - 1] !== LF) fail('unterminated header', content.length);
  const nul = content.indexOf(NUL);
  if (nul >= 0 && nul < headersEnd) fail('NUL byte in the header', nul);
  const headers: ObjectHeader[] = [];
  let continued: { name: string; parts: Buffer[]; offset: number } | undefined;
  const flush = () => {
    if (continued === undefined) return;
    headers[headers.length - 1] = { name: continued.name, value: Buffer.concat(continued.parts), offset: continued.offset };
    continued = undefined;
  };
  for (let line = 0; line < headersEnd; ) {
    const eol = content.indexOf(LF, line);
    if (content[line] === SPACE) {
      const previous = headers[headers.length - 1];
      if (previous === undefined) return fail('continuation line without a header', line);
      continued ??= { name: previous.name, parts: [previous.value], offset: previous.offset };
      continued.parts.push(LF_BUFFER, content.subarray(line + 1, eol));
    } else {
      flush();
      if (eol === line) fail('empty header name', line);
      const space = content.indexOf(SPACE, line);
      const nameEnd = space < 0 || space > eol ? eol : space;
      const valueStart = nameEnd === eol ? eol : nameEnd + 1;
      headers.push({ name: content.toString('latin1', line, nameEnd), value: content.subarray(valueStart, eol), offset: line });
    }
    line = eol + 1;
  }
  flush();
  return { headers, messageStart: blank < 0 ? content.length : blank + 2 };
}

const LF_BUFFER = Buffer.from('\n', 'latin1');
