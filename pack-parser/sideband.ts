import { PackParserError } from './errors.js';
import { MAX_PKT_LINE_LENGTH, PktLineReader, writePktLineHeader } from './pkt-line.js';

/** Side-band channels: 1 carries the payload (pack or report-status), 2 progress, 3 a fatal error. */
export type SidebandChannel = 1 | 2 | 3;

/**
 * `side-band-64k` allows packets up to 65520 bytes; the old `side-band` only 1000 (both counts
 * include the 4-byte length header and the band byte).
 */
export type SidebandMode = 'side-band-64k' | 'side-band';

export function maxSidebandPacketLength(mode: SidebandMode): number {
  return mode === 'side-band' ? 1000 : MAX_PKT_LINE_LENGTH;
}

/**
 * Encodes `data` on `channel` as side-band pkt-lines, split into as many packets as the mode
 * requires. Returns the packets concatenated (empty data gives no packet at all).
 */
export function encodeSideband(channel: SidebandChannel, data: Uint8Array | string, mode: SidebandMode = 'side-band-64k'): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const maxChunk = maxSidebandPacketLength(mode) - 5;
  const packets = Math.ceil(payload.length / maxChunk);
  const out = Buffer.allocUnsafe(payload.length + packets * 5);
  let position = 0;
  for (let start = 0; start < payload.length; start += maxChunk) {
    const end = Math.min(start + maxChunk, payload.length);
    writePktLineHeader(out, position, end - start + 5);
    out[position + 4] = channel;
    out.set(payload.subarray(start, end), position + 5);
    position += end - start + 5;
  }
  return out;
}

/** What a side-band stream carries: band data, or a control packet between sections. */
export type SidebandPacket =
  | { readonly kind: 'band'; readonly channel: SidebandChannel; readonly data: Buffer }
  | { readonly kind: 'flush' }
  | { readonly kind: 'delim' }
  | { readonly kind: 'response-end' };

/**
 * Incremental side-band demultiplexer over a pkt-line stream fed in chunks of any size: `push`
 * chunks, then `read` until it returns `undefined`. A data packet without a band byte or with a
 * band other than 1-3 is `SIDEBAND_BAD_CHANNEL`; a packet longer than the mode allows is
 * `PKT_LINE_TOO_LONG`.
 */
export class SidebandDemuxer {
  private readonly reader = new PktLineReader();
  private readonly maxPacketLength: number;

  constructor(mode: SidebandMode = 'side-band-64k') {
    this.maxPacketLength = maxSidebandPacketLength(mode);
  }

  push(chunk: Uint8Array): void {
    this.reader.push(chunk);
  }

  read(): SidebandPacket | undefined {
    const offset = this.reader.offset;
    const packet = this.reader.read();
    if (packet === undefined || packet.kind !== 'data') return packet;
    const { data } = packet;
    if (data.length + 4 > this.maxPacketLength) {
      throw new PackParserError(
        'PKT_LINE_TOO_LONG',
        `side-band packet of ${data.length + 4} bytes at offset ${offset} exceeds the maximum of ${this.maxPacketLength}`,
        { offset },
      );
    }
    const channel = data[0];
    if (channel !== 1 && channel !== 2 && channel !== 3) {
      throw new PackParserError(
        'SIDEBAND_BAD_CHANNEL',
        channel === undefined
          ? `side-band packet without a band byte at offset ${offset}`
          : `side-band packet on unknown band ${channel} at offset ${offset} (expected 1, 2 or 3)`,
        { offset },
      );
    }
    return { kind: 'band', channel, data: data.subarray(1) };
  }

  /** Throws `PKT_LINE_TRUNCATED` when the stream ended inside a packet. */
  end(): void {
    this.reader.end();
  }
}
