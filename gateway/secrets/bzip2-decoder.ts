import { createRequire } from 'node:module';
import { decodeWhole } from './archive-limits.js';

/**
 * bzip2 data (`.bz2`, `.tbz2`, `.tar.bz2`: source tarballs, database dumps) for the secret scan,
 * decoded with seek-bzip, pinned at 2.0.0 because the loop below drives its decoder's own steps.
 * Its `decode` runs a whole file in one call and cannot be stopped; a block can expand to 46 MB
 * (900 kB of runs), so the loop here decodes one block at a time and stops the output at the
 * expansion budget in the middle of a block. It runs in the decompression worker
 * (off-thread-decompression.ts): one block takes up to a few hundred milliseconds. Each block's CRC and each
 * stream's combined CRC are checked; concatenated streams (`cat a.bz2 b.bz2`, pbzip2's output)
 * are all read, as bzip2 does; anything else after the last stream, or data cut short, makes the
 * file unreadable (bzip2 ignores trailing bytes with a warning; a scan must not).
 */

/** The part of seek-bzip's stream interface its decoder uses. */
interface BunzipInput {
  readByte(): number;
  read(buffer: Uint8Array, offset: number, length: number): number;
}

interface BunzipOutput {
  writeByte(byte: number): void;
}

/** The decoder's steps, as its `decode` calls them (lib/index.js). */
interface Bunzip {
  /** Reads the next block's header and its data; false at the end-of-stream marker. */
  _init_block(): boolean;
  /** Writes the block read by `_init_block` and checks its CRC. */
  _read_bunzip(): void;
  /** Reads the next stream's header from the input (byte-aligned). */
  _start_bunzip(input: BunzipInput, output: BunzipOutput): void;
  /** The CRC of the stream's blocks so far, combined as bzip2 does. */
  readonly streamCRC: number;
  readonly reader: { read(bits: number): number };
}

interface SeekBzip {
  new (input: BunzipInput, output: BunzipOutput): Bunzip;
  Stream: new () => BunzipInput;
}

const SeekBzip = createRequire(import.meta.url)('seek-bzip') as SeekBzip;

/** "BZh" and the block size, '1' to '9' (hundreds of kB). */
const STREAM_MAGIC = [0x42, 0x5a, 0x68];
/** A block header's magic (BCD pi) and the end-of-stream marker's (BCD sqrt(pi)). */
const BLOCK_MAGIC = Buffer.from([0x31, 0x41, 0x59, 0x26, 0x53, 0x59]);
const END_OF_STREAM_MAGIC = Buffer.from([0x17, 0x72, 0x45, 0x38, 0x50, 0x90]);
/** A stream header, a block or end-of-stream magic and a CRC: the shortest bzip2 data (an empty file). */
const MIN_BZIP2_BYTES = 14;
/** Decoded bytes gathered before they are appended to the output (and the budget checked). */
const OUTPUT_STAGING_BYTES = 1024 * 1024;

export function isBzip2Data(content: Buffer): boolean {
  if (content.length < MIN_BZIP2_BYTES || !STREAM_MAGIC.every((byte, i) => content[i] === byte)) return false;
  if (content[3]! < 0x31 || content[3]! > 0x39) return false;
  const magic = content.subarray(4, 10);
  return magic.equals(BLOCK_MAGIC) || magic.equals(END_OF_STREAM_MAGIC);
}

/** The compressed bytes, read one at a time; reading past their end is an error, not a zero. */
class ContentInput extends SeekBzip.Stream {
  private position = 0;

  constructor(private readonly content: Buffer) {
    super();
  }

  override readByte(): number {
    if (this.position >= this.content.length) throw new Error('unexpected end of data');
    return this.content[this.position++]!;
  }

  get atEnd(): boolean {
    return this.position >= this.content.length;
  }
}

/** The decoder's bytes, handed to `append` a staging buffer at a time (it copies them). */
function outputTo(append: (chunk: Uint8Array) => void): BunzipOutput & { flush(): void } {
  const staging = Buffer.allocUnsafe(OUTPUT_STAGING_BYTES);
  let staged = 0;
  const flush = () => {
    append(staging.subarray(0, staged));
    staged = 0;
  };
  return {
    writeByte(byte: number): void {
      staging[staged++] = byte;
      if (staged === OUTPUT_STAGING_BYTES) flush();
    },
    flush,
  };
}

/** The data decompressed whole, or undefined once it passes `maxBytes`; throws for data bzip2 would refuse or warn about. */
export function decodeBzip2(content: Buffer, maxBytes: number): Promise<Buffer | undefined> {
  return decodeWhole(content.length * 4, maxBytes, async (append) => {
    const input = new ContentInput(content);
    const output = outputTo(append);
    const decoder = new SeekBzip(input, output);
    for (;;) {
      if (decoder._init_block()) {
        decoder._read_bunzip();
        continue;
      }
      const storedCrc = decoder.reader.read(32) >>> 0;
      if (storedCrc !== decoder.streamCRC) throw new Error("a stream's checksum does not match its blocks");
      if (input.atEnd) break;
      decoder._start_bunzip(input, output); // another stream follows: it must be one
    }
    output.flush();
  });
}
