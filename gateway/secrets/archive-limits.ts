import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * What every archive reader of the secret scan shares (zip-archive.ts, compressed-file.ts,
 * tar-archive.ts): the limits on what reading an archive may cost, the expansion budget of one
 * scanned file, and the error that says an archive cannot be read whole.
 */

/** What reading one archive (and the archives inside it) may cost. */
export interface ArchiveLimits {
  /** Entries of one archive (default 10,000). */
  maxEntries: number;
  /** Bytes one entry may expand to (default 64 MiB). */
  maxEntryBytes: number;
  /** Bytes all entries of a file, nested archives included, may expand to together (default 256 MiB). */
  maxExpandedBytes: number;
  /**
   * How many archives deep entries are read: 1 reads the entries of the file only (default 4: a
   * Debian package's `data.tar.xz`, its tar, and a gzipped file in it).
   */
  maxDepth: number;
}

export const DEFAULT_ARCHIVE_LIMITS: Readonly<ArchiveLimits> = {
  maxEntries: 10_000,
  maxEntryBytes: 64 * 1024 * 1024,
  maxExpandedBytes: 256 * 1024 * 1024,
  maxDepth: 4,
};

/** An archive that cannot be read whole; `message` says why (entry names quoted, control characters escaped). */
export class ArchiveUnreadableError extends Error {
  override readonly name = 'ArchiveUnreadableError';
}

/** The value of `work`, or the ArchiveUnreadableError it failed with; other errors are thrown. */
export async function unlessUnreadable<T>(work: Promise<T>): Promise<T | ArchiveUnreadableError> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ArchiveUnreadableError) return error;
    throw error;
  }
}

/**
 * `error` as the reason an archive cannot be read: an ArchiveUnreadableError as it is, anything
 * else (a parser's or zlib's error) as "it is not <kind> gitgate can read (<its message>)".
 */
export function notReadableAs(kind: string, error: unknown): ArchiveUnreadableError {
  if (error instanceof ArchiveUnreadableError) return error;
  return new ArchiveUnreadableError(`it is not ${kind} gitgate can read (${error instanceof Error ? error.message : String(error)})`);
}

/** An entry name as it may appear in a message: quoted, with control characters escaped. */
export function quotedEntryName(name: string): string {
  return JSON.stringify(name);
}

/** The expansion left to one scanned file and the archives inside it. */
export class ExpansionBudget {
  private bytesLeft: number;

  constructor(readonly limits: Readonly<ArchiveLimits>) {
    this.bytesLeft = limits.maxExpandedBytes;
  }

  /** The most one entry may still expand to: what the entry limit and the budget both allow. */
  get room(): number {
    return Math.min(this.limits.maxEntryBytes, this.bytesLeft);
  }

  /** Takes `bytes` from the budget, or says why it cannot. */
  take(bytes: number, what: string): void {
    if (bytes > this.limits.maxEntryBytes) {
      throw new ArchiveUnreadableError(`${what} expands to ${bytes} bytes, more than the ${this.limits.maxEntryBytes} bytes gitgate reads of one archive entry`);
    }
    if (bytes > this.bytesLeft) throw this.pastTotal(what);
    this.bytesLeft -= bytes;
  }

  /** Why `what` cannot be read when all that is known is that it expands to more than `room` (a stream cut off there). */
  exceededBy(what: string): ArchiveUnreadableError {
    if (this.bytesLeft < this.limits.maxEntryBytes) return this.pastTotal(what);
    return new ArchiveUnreadableError(`${what} expands to more than the ${this.limits.maxEntryBytes} bytes gitgate reads of one archive entry`);
  }

  private pastTotal(what: string): ArchiveUnreadableError {
    return new ArchiveUnreadableError(`${what} would take the archive past the ${this.limits.maxExpandedBytes} bytes gitgate expands one file's archives to`);
  }
}

/** One file of an archive, with its bytes. */
export interface ArchiveFile {
  name: string;
  content: Buffer;
}

/** An archive opened for the secret scan. Both methods throw ArchiveUnreadableError for what cannot be read. */
export interface ArchiveReader {
  /** Its files in their order, each read against `budget`; two of the same name are both read. */
  readFiles(budget: ExpansionBudget): AsyncGenerator<ArchiveFile>;
  /** The last file of that name (the one extracting the archive leaves), or undefined when there is none. */
  readLastNamed(name: string, budget: ExpansionBudget): Promise<Buffer | undefined>;
}

/** Deflate's largest ratio of inflated to deflated bytes: a size claimed past it is a lie. */
export const DEFLATE_MAX_RATIO = 1032;

/**
 * Decompressed bytes gathered in one buffer, without holding them twice: collecting the chunks
 * and joining them at the end would, for a moment, and an entry may be 64 MiB. The buffer is
 * sized by a hint (what the archive says the entry expands to) and grows when the hint was short;
 * it never passes `maxBytes`.
 */
export class WholeBuffer {
  private whole: Buffer;
  private length = 0;

  constructor(sizeHint: number, private readonly maxBytes: number) {
    this.whole = Buffer.allocUnsafe(Math.min(Math.max(sizeHint, 0), maxBytes));
  }

  /** Appends a copy of `chunk`; false, appending nothing, when that would pass `maxBytes`. */
  append(chunk: Uint8Array): boolean {
    const needed = this.length + chunk.length;
    if (needed > this.maxBytes) return false;
    if (needed > this.whole.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(2 * this.whole.length, needed)));
      this.whole.copy(grown, 0, 0, this.length);
      this.whole = grown;
    }
    this.whole.set(chunk, this.length);
    this.length = needed;
    return true;
  }

  get bytes(): Buffer {
    return this.whole.subarray(0, this.length);
  }
}

const PAST_THE_LIMIT = Symbol('past the limit');

/**
 * The bytes a decoder that works on the calling thread hands over as it makes them (`decode`
 * calls `append` with each piece, which is copied), in one WholeBuffer. Returns undefined once
 * they pass `maxBytes`: `append` then throws out of the decoder, which stops where it is (one
 * piece of input may expand to gigabytes, so it must not run on to its end first).
 */
export async function decodeWhole(sizeHint: number, maxBytes: number, decode: (append: (chunk: Uint8Array) => void) => Promise<void>): Promise<Buffer | undefined> {
  const whole = new WholeBuffer(sizeHint, maxBytes);
  try {
    await decode((chunk) => {
      if (!whole.append(chunk)) throw PAST_THE_LIMIT;
    });
  } catch (error) {
    if (error === PAST_THE_LIMIT) return undefined;
    throw error;
  }
  return whole.bytes;
}

/** How many decompressed bytes readWhole reads between turns it gives the event loop. */
const READ_WHOLE_TURN_BYTES = 1024 * 1024;

/**
 * The bytes of a decompressing stream in one WholeBuffer. Returns undefined, and stops reading
 * (leaving the loop ends the stream), once the stream passes `maxBytes`. Every MiB it lets the
 * event loop run: a decoder that works on the calling thread would otherwise hold it for the
 * whole entry.
 */
export async function readWhole(stream: AsyncIterable<Uint8Array>, sizeHint: number, maxBytes: number): Promise<Buffer | undefined> {
  const whole = new WholeBuffer(sizeHint, maxBytes);
  let sinceTurn = 0;
  for await (const chunk of stream) {
    if (!whole.append(chunk)) return undefined;
    sinceTurn += chunk.length;
    if (sinceTurn >= READ_WHOLE_TURN_BYTES) {
      sinceTurn = 0;
      await nextTurn();
    }
  }
  return whole.bytes;
}
