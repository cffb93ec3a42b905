import { PackParserError } from './errors.js';

/** Largest pkt-line git sends or accepts, the 4-byte length header included (LARGE_PACKET_MAX). */
export const MAX_PKT_LINE_LENGTH = 65520;
/** Largest payload of one pkt-line. */
export const MAX_PKT_LINE_DATA = MAX_PKT_LINE_LENGTH - 4;

/**
 * One packet of a pkt-line stream. `data` is the payload without the length header (it may be
 * empty: `0004`); it may share memory with the chunk it was read from.
 */
export type PktLine =
  | { readonly kind: 'data'; readonly data: Buffer }
  | { readonly kind: 'flush' }
  | { readonly kind: 'delim' }
  | { readonly kind: 'response-end' };

const FLUSH: PktLine = Object.freeze({ kind: 'flush' });
const DELIM: PktLine = Object.freeze({ kind: 'delim' });
const RESPONSE_END: PktLine = Object.freeze({ kind: 'response-end' });

/** `0000`: ends a section (or a request). */
export const FLUSH_PKT: Readonly<Buffer> = Buffer.from('0000', 'latin1');
/** `0001`: separates sections in protocol v2. */
export const DELIM_PKT: Readonly<Buffer> = Buffer.from('0001', 'latin1');
/** `0002`: ends a stateless-rpc response in protocol v2. */
export const RESPONSE_END_PKT: Readonly<Buffer> = Buffer.from('0002', 'latin1');

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/** Encodes `data` (a string is written as UTF-8) as one pkt-line. */
export function pktLine(data: Uint8Array | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (payload.length > MAX_PKT_LINE_DATA) {
    throw new PackParserError(
      'PKT_LINE_TOO_LONG',
      `pkt-line payload of ${payload.length} bytes exceeds the maximum of ${MAX_PKT_LINE_DATA}; split it into several packets`,
    );
  }
  const packet = Buffer.allocUnsafe(payload.length + 4);
  writePktLineHeader(packet, 0, payload.length + 4);
  packet.set(payload, 4);
  return packet;
}

/** Writes the 4 hex digits of a pkt-line length at `offset`. */
export function writePktLineHeader(target: Buffer, offset: number, length: number): void {
  target[offset] = HEX_DIGITS[(length >>> 12) & 0xf]!;
  target[offset + 1] = HEX_DIGITS[(length >>> 8) & 0xf]!;
  target[offset + 2] = HEX_DIGITS[(length >>> 4) & 0xf]!;
  target[offset + 3] = HEX_DIGITS[length & 0xf]!;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}

/**
 * Incremental pkt-line reader. Feed it chunks of any size with `push`, then call `read` until it
 * returns `undefined` (more bytes needed). Nothing depends on where the chunks were split.
 *
 * The reader never consumes more than the packets it returned: after any packet the caller may
 * stop and take the unconsumed bytes with `takeRemainder` (a receive-pack request switches from
 * pkt-lines to raw PACK bytes after its last flush).
 */
export class PktLineReader {
  /** Buffered chunks; `chunks[headIndex]` is the first unconsumed one, read from `headOffset`. */
  private chunks: Buffer[] = [];
  private headIndex = 0;
  private headOffset = 0;
  private buffered = 0;
  private consumed = 0;
  private finished = false;

  /** Bytes consumed so far (offset in the stream of the next packet). */
  get offset(): number {
    return this.consumed;
  }

  /** Bytes pushed but not yet returned as packets. */
  get bufferedLength(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): void {
    if (this.finished) throw new Error('PktLineReader: push after takeRemainder');
    if (chunk.length === 0) return;
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.buffered += chunk.length;
  }

  /** The next complete packet, or `undefined` when more bytes are needed. Throws on a malformed length. */
  read(): PktLine | undefined {
    if (this.buffered < 4) return undefined;
    const length = this.peekLength();
    switch (length) {
      case 0:
        this.take(4);
        return FLUSH;
      case 1:
        this.take(4);
        return DELIM;
      case 2:
        this.take(4);
        return RESPONSE_END;
      case 3:
        throw new PackParserError('PKT_LINE_BAD_LENGTH', `invalid pkt-line length 0003 at offset ${this.consumed}`, {
          offset: this.consumed,
        });
    }
    if (length > MAX_PKT_LINE_LENGTH) {
      throw new PackParserError(
        'PKT_LINE_TOO_LONG',
        `pkt-line length ${length} at offset ${this.consumed} exceeds the maximum of ${MAX_PKT_LINE_LENGTH}`,
        { offset: this.consumed },
      );
    }
    if (this.buffered < length) return undefined;
    const packet = this.take(length);
    return { kind: 'data', data: packet.subarray(4) };
  }

  /**
   * Throws `PKT_LINE_TRUNCATED` when the stream ended inside a packet. Call it when the input ends
   * and the caller expected only whole packets.
   */
  end(): void {
    if (this.buffered > 0) {
      throw new PackParserError(
        'PKT_LINE_TRUNCATED',
        `stream ended inside a pkt-line (${this.buffered} bytes of an incomplete packet at offset ${this.consumed})`,
        { offset: this.consumed },
      );
    }
  }

  /** Hands back every unconsumed byte (as one Buffer) and retires the reader. */
  takeRemainder(): Buffer {
    const remainder = this.take(this.buffered);
    this.finished = true;
    return remainder;
  }

  private peekLength(): number {
    let length = 0;
    let chunkIndex = this.headIndex;
    let position = this.headOffset;
    for (let i = 0; i < 4; i++) {
      let chunk = this.chunks[chunkIndex]!;
      while (position >= chunk.length) {
        chunkIndex++;
        position = 0;
        chunk = this.chunks[chunkIndex]!;
      }
      const digit = hexValue(chunk[position]!);
      if (digit < 0) {
        throw new PackParserError(
          'PKT_LINE_BAD_LENGTH',
          `invalid pkt-line length header at offset ${this.consumed}: expected 4 hex digits`,
          { offset: this.consumed },
        );
      }
      length = (length << 4) | digit;
      position++;
    }
    return length;
  }

  /** Removes `count` buffered bytes (count <= buffered); zero-copy when they lie in one chunk. */
  private take(count: number): Buffer {
    this.buffered -= count;
    this.consumed += count;
    if (count === 0) return Buffer.alloc(0);
    const head = this.chunks[this.headIndex]!;
    if (this.headOffset + count <= head.length) {
      const result = head.subarray(this.headOffset, this.headOffset + count);
      this.advance(count, head.length);
      return result;
    }
    const result = Buffer.allocUnsafe(count);
    let written = 0;
    while (written < count) {
      const chunk = this.chunks[this.headIndex]!;
      const n = Math.min(chunk.length - this.headOffset, count - written);
      chunk.copy(result, written, this.headOffset, this.headOffset + n);
      written += n;
      this.advance(n, chunk.length);
    }
    return result;
  }

  /** Moves the read position `n` bytes within the head chunk, dropping the chunk once used up. */
  private advance(n: number, headLength: number): void {
    this.headOffset += n;
    if (this.headOffset < headLength) return;
    this.headOffset = 0;
    this.headIndex++;
    if (this.headIndex === this.chunks.length) {
      this.chunks = [];
      this.headIndex = 0;
    } else if (this.headIndex >= 1024 && this.headIndex * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.headIndex);
      this.headIndex = 0;
    }
  }
}
