import { createRequire } from 'node:module';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import { Decompress as ZstdDecoder } from 'fzstd';
import { BZIP2 } from './bzip2-file.js';
import {
  DEFLATE_MAX_RATIO,
  decodeWhole,
  notReadableAs,
  readWhole,
  type ArchiveFile,
  type ArchiveReader,
  type ExpansionBudget,
} from './archive-limits.js';

/**
 * Reading compressed files (`.gz`, `.tgz`, `.xz`, `.tar.xz`, `.zst`, `.tar.zst`, `.bz2`,
 * `.tar.bz2`, a compressed SQL dump or `.env`) for the secret scan: their one file is
 * compressed, and no rule finds a key in the compressed bytes. Each is decompressed whole, cut
 * off at what the expansion budget allows, with every member (gzip) or stream and frame (xz,
 * zstd, bzip2: see bzip2-file.ts) it holds. Data after the last one, a truncated stream and a
 * failed integrity check make the file unreadable (ArchiveUnreadableError): the decoders refuse
 * them, and what they cannot read is not passed unread.
 */

/** A compression format whose files hold one file. */
export interface Compression {
  /** What messages call its data: "it is not <name> data gitgate can read". */
  readonly name: string;
  recognizes(content: Buffer): boolean;
  /** Suffixes of its files and what the tool that decompresses them names what it writes. */
  readonly suffixes: ReadonlyArray<readonly [RegExp, string]>;
  /** The whole decompressed content, or undefined once it passes `maxBytes`; throws the decoder's error for bad data. */
  decompress(content: Buffer, maxBytes: number): Promise<Buffer | undefined>;
}

function startsWith(content: Buffer, magic: readonly number[], minLength: number): boolean {
  return content.length >= minLength && magic.every((byte, i) => content[i] === byte);
}

export const GZIP: Compression = {
  name: 'gzip',
  // ID1, ID2 and CM = deflate (RFC 1952); a member is at least 18 bytes.
  recognizes: (content) => startsWith(content, [0x1f, 0x8b, 0x08], 18),
  suffixes: [[/\.tgz$/i, '.tar'], [/\.svgz$/i, '.svg'], [/\.(?:gz|gzip)$/i, '']],
  decompress(content, maxBytes) {
    // The last member's trailer holds its size (modulo 4 GiB): the whole size for one member,
    // unless it lies.
    const sizeHint = Math.min(content.readUInt32LE(content.length - 4), content.length * DEFLATE_MAX_RATIO);
    const gunzip = createGunzip();
    gunzip.end(content);
    return readWhole(gunzip, sizeHint, maxBytes);
  },
};

// xz-decompress is a webpack bundle whose exports Node's ES module loader cannot list.
const { XzReadableStream } = createRequire(import.meta.url)('xz-decompress') as typeof import('xz-decompress');

/** What xz-embedded's error codes (enum xz_ret) mean, as the decoder reports only the number. */
const XZ_ERRORS: Readonly<Record<string, string>> = {
  '2': 'an integrity check gitgate cannot verify',
  '3': 'the decoder ran out of memory',
  '4': 'a dictionary larger than gitgate allows',
  '5': 'not in the xz format, or data after its last stream',
  '6': 'options gitgate cannot decode: a SHA-256 check, a BCJ or delta filter',
  '7': 'corrupt data or a failed integrity check',
  '8': 'unexpected end of data',
};

export const XZ: Compression = {
  name: 'xz',
  // The stream header's magic bytes (the .xz file format, 2.1.1.1).
  recognizes: (content) => startsWith(content, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 32),
  suffixes: [[/\.txz$/i, '.tar'], [/\.xz$/i, '']],
  async decompress(content, maxBytes) {
    const compressed = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(content);
        controller.close();
      },
    });
    try {
      return await readWhole(new XzReadableStream(compressed), content.length * 4, maxBytes);
    } catch (error) {
      const code = /error code (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
      throw code !== undefined && XZ_ERRORS[code] !== undefined ? new Error(XZ_ERRORS[code]) : error;
    }
  },
};

/** Compressed bytes zstd decodes between turns it gives the event loop. */
const ZSTD_INPUT_SLICE = 16 * 1024;

/** A zstd frame's magic number, little-endian (RFC 8878, 3.1.1). */
const ZSTD_FRAME_MAGIC = 0xfd2fb528;

/** A skippable frame's magic number (0x184D2A50 to 0x184D2A5F), which zstd reads past (RFC 8878, 3.1.2). */
function isSkippableFrameMagic(magic: number): boolean {
  return (magic & 0xfffffff0) === 0x184d2a50;
}

/** A zstd frame (at least 9 bytes), or a skippable frame (at least its 8-byte header). */
function isZstdData(content: Buffer): boolean {
  if (content.length < 8) return false;
  const magic = content.readUInt32LE(0);
  return (magic === ZSTD_FRAME_MAGIC && content.length >= 9) || isSkippableFrameMagic(magic);
}

/** The largest window a zstd frame may ask for: what `zstd --ultra -20` writes (levels up to 19 use 8 MiB). */
export const ZSTD_MAX_WINDOW_BYTES = 32 * 1024 * 1024;

/**
 * Walks the frames of zstd data by their headers and block headers, and throws when one asks for
 * a window larger than ZSTD_MAX_WINDOW_BYTES (RFC 8878, 3.1.1.1). fzstd allocates a frame's
 * window as soon as it reads the header, up to 2 GiB, and moves all of it for every block it
 * decodes: ten bytes of header would otherwise cost gigabytes. What is not zstd, or is cut
 * short, is left for fzstd to refuse.
 */
function checkZstdWindows(content: Buffer): void {
  let at = 0;
  while (at + 8 <= content.length) {
    const magic = content.readUInt32LE(at);
    if (isSkippableFrameMagic(magic)) {
      at += 8 + content.readUInt32LE(at + 4); // a skippable frame: its size, then its bytes
      continue;
    }
    if (magic !== ZSTD_FRAME_MAGIC) return;
    const descriptor = content[at + 4]!;
    const singleSegment = (descriptor & 0x20) !== 0;
    const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!;
    let p = at + 5;
    let window = 0;
    if (!singleSegment) {
      const windowDescriptor = content[p++] ?? 0;
      const base = 2 ** (10 + (windowDescriptor >> 3));
      window = base + (base / 8) * (windowDescriptor & 7);
    }
    p += [0, 1, 2, 4][descriptor & 3]!; // the dictionary id
    if (p + contentSizeBytes > content.length) return;
    if (singleSegment) window = zstdContentSize(content, p, contentSizeBytes); // the window is the content
    if (window > ZSTD_MAX_WINDOW_BYTES) {
      throw new Error(`a frame asks for a window of ${window} bytes, more than the ${ZSTD_MAX_WINDOW_BYTES} gitgate decodes with`);
    }
    p += contentSizeBytes;
    for (let last = false; !last; ) {
      if (p + 3 > content.length) return;
      const header = content[p]! | (content[p + 1]! << 8) | (content[p + 2]! << 16);
      last = (header & 1) === 1;
      p += 3 + (((header >> 1) & 3) === 1 ? 1 : header >>> 3); // an RLE block holds one byte
    }
    at = p + ((descriptor & 0x04) !== 0 ? 4 : 0); // the content checksum
  }
}

/** A frame's Frame_Content_Size field: one byte, two (plus 256), four or eight, little-endian. */
function zstdContentSize(content: Buffer, at: number, bytes: number): number {
  if (bytes === 1) return content[at]!;
  if (bytes === 2) return content.readUInt16LE(at) + 256;
  if (bytes === 4) return content.readUInt32LE(at);
  return Number(content.readBigUInt64LE(at));
}

export const ZSTD: Compression = {
  name: 'zstd',
  recognizes: isZstdData,
  suffixes: [[/\.tzst$/i, '.tar'], [/\.zst$/i, '']],
  async decompress(content, maxBytes) {
    // fzstd decodes on this thread as it is given input: it gets a slice at a time, with a turn
    // of the event loop between, and stops as soon as the output passes the limit (one slice of
    // RLE blocks may expand to gigabytes).
    checkZstdWindows(content);
    return decodeWhole(content.length * 4, maxBytes, async (append) => {
      const decoder = new ZstdDecoder(append);
      for (let at = 0; at < content.length; at += ZSTD_INPUT_SLICE) {
        decoder.push(content.subarray(at, at + ZSTD_INPUT_SLICE), at + ZSTD_INPUT_SLICE >= content.length);
        await nextTurn();
      }
    });
  },
};

/** The formats a file is recognized and decompressed in. */
export const COMPRESSIONS: readonly Compression[] = [GZIP, XZ, ZSTD, BZIP2];

/**
 * The name of the one file, as the format's tool names what it writes: the file's own name
 * without the suffix (`.gz`, `.xz`, `.zst`, `.bz2`; `.tgz`, `.txz`, `.tzst` and `.tbz2` become `.tar`); a name
 * without such a suffix stays as it is. A name recorded in the file (gzip's FNAME) is not used:
 * it is whatever the writer put there.
 */
export function decompressedName(path: string, compression: Compression): string {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('!')) + 1);
  const [suffix, replacement] = compression.suffixes.find(([pattern]) => pattern.test(base)) ?? [/$/, ''];
  return base.replace(suffix, replacement) || base;
}

/** A compressed file: one file, named after it (decompressedName). */
export class CompressedFile implements ArchiveReader {
  private readonly name: string;

  constructor(private readonly compression: Compression, private readonly content: Buffer, path: string) {
    this.name = decompressedName(path, compression);
  }

  async *readFiles(budget: ExpansionBudget): AsyncGenerator<ArchiveFile> {
    yield { name: this.name, content: await this.decompress(budget) };
  }

  async readLastNamed(name: string, budget: ExpansionBudget): Promise<Buffer | undefined> {
    return name === this.name ? this.decompress(budget) : undefined;
  }

  private async decompress(budget: ExpansionBudget): Promise<Buffer> {
    const what = `its ${this.compression.name} content`;
    let content: Buffer | undefined;
    try {
      content = await this.compression.decompress(this.content, budget.room);
    } catch (error) {
      throw notReadableAs(`${this.compression.name} data`, error);
    }
    if (content === undefined) throw budget.exceededBy(what);
    budget.take(content.length, what);
    return content;
  }
}
