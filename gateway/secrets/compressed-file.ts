import { createGunzip } from 'node:zlib';
import { DEFLATE_MAX_RATIO, notReadableAs, readWhole, type ArchiveFile, type ArchiveReader, type ExpansionBudget } from './archive-limits.js';
import { isBzip2Data } from './bzip2-decoder.js';
import { decompressionThread, type DecompressionFormat } from './off-thread-decompression.js';
import { isXzData } from './xz-decoder.js';
import { isZstdData } from './zstd-decoder.js';

/**
 * Reading compressed files (`.gz`, `.tgz`, `.xz`, `.tar.xz`, `.zst`, `.tar.zst`, `.bz2`,
 * `.tar.bz2`, a compressed SQL dump or `.env`) for the secret scan: their one file is
 * compressed, and no rule finds a key in the compressed bytes. Each is decompressed whole, cut
 * off at what the expansion budget allows, with every member (gzip) or stream and frame (xz,
 * zstd, bzip2) it holds. Data after the last one, a truncated stream and a failed integrity check
 * make the file unreadable (ArchiveUnreadableError): the decoders refuse them, and what they
 * cannot read is not passed unread. gzip is inflated by Node's zlib (on libuv's threads); xz,
 * zstd and bzip2 by their decoders (xz-decoder.ts, zstd-decoder.ts, bzip2-decoder.ts) on the
 * decompression thread (off-thread-decompression.ts).
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

/** A format decoded on the decompression thread, by the decoder of its name. */
function decodedOffThread(name: DecompressionFormat, recognizes: Compression['recognizes'], suffixes: Compression['suffixes']): Compression {
  return { name, recognizes, suffixes, decompress: (content, maxBytes) => decompressionThread.decompress(name, content, maxBytes) };
}

export const XZ = decodedOffThread('xz', isXzData, [[/\.txz$/i, '.tar'], [/\.xz$/i, '']]);
export const ZSTD = decodedOffThread('zstd', isZstdData, [[/\.tzst$/i, '.tar'], [/\.zst$/i, '']]);
export const BZIP2 = decodedOffThread('bzip2', isBzip2Data, [[/\.(?:tbz2|tbz|tb2)$/i, '.tar'], [/\.(?:bz2|bz)$/i, '']]);

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
