import tar from 'tar-stream';
import { ArchiveUnreadableError, notReadableAs, quotedEntryName, type ArchiveFile, type ArchiveLimits, type ArchiveReader } from './archive-limits.js';

/**
 * Reading tar archives (`.tar`, and `.tar.gz`, `.tar.xz`, `.tar.zst` or `.tar.bz2` once
 * compressed-file.ts has decompressed it) for the secret scan. A tar stores its files as they are, so a key in one
 * is also in the archive's own bytes; reading the files gives the finding its file and line, and
 * opens what is compressed inside (a jar, a `.gz`).
 *
 * tar-stream parses the headers (ustar, GNU and pax: long names, sizes over 8 GiB). It keeps
 * reading after the end-of-archive marker, as `tar --ignore-zeros` does, so a file appended after
 * the marker is read too. A header with a bad checksum, an unknown format or data cut short makes
 * the archive unreadable (ArchiveUnreadableError). Entries take nothing from the expansion budget:
 * their bytes are the archive's own, already in memory; what is compressed inside them does.
 */

const BLOCK_BYTES = 512;
const CHECKSUM_OFFSET = 148;
const CHECKSUM_BYTES = 8;
const MAGIC_OFFSET = 257;
const USTAR_MAGIC = Buffer.from('ustar');

/**
 * True when the content starts with a ustar or GNU tar header whose checksum is right. (Version 7
 * archives, older than POSIX, have no magic and are not recognised: their files are scanned in the
 * archive's bytes only.)
 */
export function isTarArchive(content: Buffer): boolean {
  if (content.length < BLOCK_BYTES || !content.subarray(MAGIC_OFFSET, MAGIC_OFFSET + USTAR_MAGIC.length).equals(USTAR_MAGIC)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK_BYTES; i++) {
    sum += i >= CHECKSUM_OFFSET && i < CHECKSUM_OFFSET + CHECKSUM_BYTES ? 0x20 : content[i]!;
  }
  const recorded = Number.parseInt(content.toString('latin1', CHECKSUM_OFFSET, CHECKSUM_OFFSET + CHECKSUM_BYTES).replace(/[\0 ]+$/, '').trim(), 8);
  return recorded === sum;
}

export class TarArchive implements ArchiveReader {
  constructor(
    private readonly content: Buffer,
    private readonly limits: Readonly<ArchiveLimits>,
  ) {}

  async *readFiles(): AsyncGenerator<ArchiveFile> {
    yield* this.entries(() => true);
  }

  async readLastNamed(name: string): Promise<Buffer | undefined> {
    let last: Buffer | undefined;
    for await (const file of this.entries((entryName) => entryName === name)) last = file.content;
    return last;
  }

  /**
   * The entries with bytes, in order (directories, links and devices hold none); the bytes only of
   * those `wanted` accepts. Counts every entry against `maxEntries`.
   */
  private async *entries(wanted: (name: string) => boolean): AsyncGenerator<ArchiveFile> {
    const extract = tar.extract();
    extract.end(this.content);
    let count = 0;
    try {
      for await (const entry of extract) {
        if (++count > this.limits.maxEntries) {
          throw new ArchiveUnreadableError(`it holds more than the ${this.limits.maxEntries} entries gitgate reads of one archive`);
        }
        const { name, size, type } = entry.header;
        // A directory's size is no data to tar-stream: its stream never ends. Its blocks are read
        // as the next header, so a directory that holds bytes makes the archive unreadable.
        if (size === undefined || size === 0 || type === 'directory' || !wanted(name)) {
          entry.resume();
          continue;
        }
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        const content = joined(chunks);
        if (content.length !== size) throw new ArchiveUnreadableError(`the entry ${quotedEntryName(name)} holds ${content.length} of its ${size} bytes`);
        yield { name, content };
      }
    } catch (error) {
      throw notReadableAs('a tar archive', error);
    } finally {
      extract.destroy();
    }
  }
}

/**
 * The chunks as one buffer. tar-stream hands out views of the buffer it was given, so an entry's
 * chunks are usually one contiguous piece of the archive: a view of it costs no copy (an entry
 * may be tens of megabytes).
 */
function joined(chunks: readonly Buffer[]): Buffer {
  const first = chunks[0];
  if (first === undefined) return Buffer.alloc(0);
  let end = first.byteOffset + first.length;
  for (const chunk of chunks.slice(1)) {
    if (chunk.buffer !== first.buffer || chunk.byteOffset !== end) return Buffer.concat(chunks);
    end += chunk.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}
