import { createGunzip } from 'node:zlib';
import { DEFLATE_MAX_RATIO, notReadableAs, readWhole, type ArchiveFile, type ArchiveReader, type ExpansionBudget } from './archive-limits.js';

/**
 * Reading gzip files (`.gz`, `.tgz`, `.svgz`, a gzipped SQL dump or `.env`) for the secret scan:
 * their one file is deflated, and no rule finds a key in the compressed bytes. zlib inflates it,
 * cut off at what the expansion budget allows, and with every member of a multi-member file.
 * Data after the last member other than zero padding, a truncated stream and a bad checksum make
 * the file unreadable (ArchiveUnreadableError): zlib refuses them, and what it cannot read is
 * not passed unread.
 */

const GZIP_MAGIC = [0x1f, 0x8b, 0x08]; // ID1, ID2 and CM = deflate (RFC 1952)

export function isGzipData(content: Buffer): boolean {
  return content.length >= 18 && GZIP_MAGIC.every((byte, i) => content[i] === byte);
}

/** Suffixes of gzip files and what gunzip makes of them. */
const GUNZIPPED_SUFFIXES: ReadonlyArray<[RegExp, string]> = [[/\.tgz$/i, '.tar'], [/\.svgz$/i, '.svg'], [/\.(?:gz|gzip)$/i, '']];

/**
 * The name of the one file, as gunzip names what it writes: the file's own name without `.gz`
 * (`.tgz` becomes `.tar`); a name without such a suffix stays as it is. The name recorded in the
 * gzip header is not used: it is whatever the writer put there.
 */
export function gunzippedName(path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('!')) + 1);
  const [suffix, replacement] = GUNZIPPED_SUFFIXES.find(([pattern]) => pattern.test(base)) ?? [/$/, ''];
  return base.replace(suffix, replacement) || base;
}

/** A gzip file: one file, named after the archive (gunzippedName). */
export class GzipArchive implements ArchiveReader {
  private readonly name: string;

  constructor(private readonly content: Buffer, path: string) {
    this.name = gunzippedName(path);
  }

  async *readFiles(budget: ExpansionBudget): AsyncGenerator<ArchiveFile> {
    yield { name: this.name, content: await this.inflate(budget) };
  }

  async readLastNamed(name: string, budget: ExpansionBudget): Promise<Buffer | undefined> {
    return name === this.name ? this.inflate(budget) : undefined;
  }

  private async inflate(budget: ExpansionBudget): Promise<Buffer> {
    const what = 'its gzip content';
    const room = budget.room;
    // The last member's trailer holds its size (modulo 4 GiB): the whole size for one member,
    // unless it lies.
    const sizeHint = Math.min(this.content.readUInt32LE(this.content.length - 4), this.content.length * DEFLATE_MAX_RATIO);
    const gunzip = createGunzip();
    gunzip.end(this.content);
    let inflated: Buffer | undefined;
    try {
      inflated = await readWhole(gunzip, sizeHint, room);
    } catch (error) {
      throw notReadableAs('gzip data', error);
    }
    if (inflated === undefined) throw budget.exceededBy(what);
    budget.take(inflated.length, what);
    return inflated;
  }
}
