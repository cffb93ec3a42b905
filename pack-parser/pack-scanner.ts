import { crc32 } from 'node:zlib';
import { createInflater, type Inflater } from './zlib-inflater.js';
import { PackParserError } from './errors.js';
import { ReusableBuffer } from './reusable-buffer.js';
import { EntryKind } from './pack-object-table.js';
import type { PackLimits } from './limits.js';
import { TrailingChecksum } from './trailing-checksum.js';

export interface PackHeader {
  version: 2 | 3;
  objectCount: number;
}

/** One raw entry of a pack: its header decoded and its zlib data inflated, deltas not applied. */
export interface PackEntry {
  offset: number;
  /** Bytes of the entry header (type/size varint, plus the delta base reference). */
  headerLength: number;
  kind: EntryKind;
  /** Inflated size of `data`: the object size, or for a delta the size of the delta data. */
  size: number;
  /** Valid during `onEntry` only: the scanner inflates the next entry into the same memory. */
  data: Buffer;
  /** CRC-32 of the entry's raw bytes (header and compressed data), as the idx stores it. */
  crc32: number;
  packedLength: number;
  /** OFS_DELTA: absolute offset of the base entry. */
  baseOffset: number | undefined;
  /** REF_DELTA: id of the base object. */
  baseId: Buffer | undefined;
}

export interface PackTrailer {
  checksum: Buffer;
  /** Offset where the entries end and the trailer starts. */
  entriesEnd: number;
  byteLength: number;
  objectCount: number;
  version: 2 | 3;
}

export interface PackScannerObserver {
  onHeader?(header: PackHeader): void;
  onEntry(entry: PackEntry): void;
}

const enum ScanState {
  Header,
  Entries,
  Trailer,
  Done,
  Failed,
}

const PACK_SIGNATURE = 0x5041434b; // "PACK"
const MIN_INFLATE_RETRY_GROWTH = 64 * 1024;
/** Largest entry inflated into the scanner's reused buffer; larger ones get a buffer of their own. */
const INFLATE_SCRATCH_MAX_BYTES = 8 * 1024 * 1024;


/**
 * The first layer of the decoder: a state machine fed chunks of any size that cuts the stream into
 * entries, inflates each entry's data, computes its CRC-32, and verifies the object count and the
 * trailing checksum. It keeps only the bytes of the entry it is on.
 */
export class PackScanner {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  /** Pack offset of buffer[0]. */
  private bufferOffset = 0;
  private readPos = 0;
  private writePos = 0;
  private received = 0;
  private state = ScanState.Header;
  private header: PackHeader | undefined;
  private entriesParsed = 0;
  private entriesEnd = 0;
  private failure: PackParserError | undefined;
  /** An error at an entry that may in fact be the trailer; decided by what comes next. */
  private deferred: { error: PackParserError; offset: number } | undefined;
  /** Compressed bytes available at the last attempt to inflate the current entry that ran short. */
  private shortInflateAt = 0;
  private readonly checksum: TrailingChecksum;
  private readonly inflater: Inflater;
  /** Where entries are inflated (see PackEntry.data), up to INFLATE_SCRATCH_MAX_BYTES. */
  private readonly inflated = new ReusableBuffer(INFLATE_SCRATCH_MAX_BYTES);

  constructor(
    private readonly observer: PackScannerObserver,
    private readonly limits: PackLimits,
    private readonly hashLength: 20 | 32 = 20,
    inflater?: Inflater,
  ) {
    this.checksum = new TrailingChecksum(hashLength === 20 ? 'sha1' : 'sha256', hashLength);
    this.inflater = inflater ?? createInflater();
  }

  get bytesReceived(): number {
    return this.received;
  }

  get packHeader(): PackHeader | undefined {
    return this.header;
  }

  write(chunk: Buffer): void {
    if (this.failure) throw this.failure;
    if (this.state === ScanState.Done) throw new PackParserError('PACK_TRAILING_DATA', 'data written after the pack ended');
    if (chunk.length === 0) return;
    try {
      this.received += chunk.length;
      if (this.received > this.limits.maxPackBytes) {
        throw new PackParserError(
          'PACK_LIMIT_PACK_BYTES',
          `pack exceeds the limit of ${this.limits.maxPackBytes} bytes`,
          { offset: this.limits.maxPackBytes },
        );
      }
      this.checksum.update(chunk);
      this.appendToBuffer(chunk);
      if (this.deferred && this.received - this.deferred.offset > this.hashLength) throw this.deferred.error;
      this.scan(false);
    } catch (error) {
      throw this.fail(error);
    }
  }

  /** Call when the stream ended; verifies the trailer. */
  end(): PackTrailer {
    if (this.failure) throw this.failure;
    try {
      if (this.state === ScanState.Header) this.failHeaderAtEnd();
      if (!this.deferred) this.scan(true);
      const trailerValid = this.trailerMatchesDigest();
      if (this.deferred || this.state === ScanState.Entries) {
        const stopAt = this.deferred ? this.deferred.offset : this.bufferOffset + this.readPos;
        if (trailerValid && stopAt === this.received - this.hashLength) {
          throw new PackParserError(
            'PACK_OBJECT_COUNT_MISMATCH',
            `pack header announces ${this.header!.objectCount} objects but the pack holds ${this.entriesParsed}`,
            { offset: stopAt },
          );
        }
        if (this.deferred) throw this.deferred.error;
        throw new PackParserError(
          'PACK_TRUNCATED',
          `pack ends after ${this.entriesParsed} of ${this.header!.objectCount} objects (at byte ${this.received})`,
          { offset: this.received },
        );
      }
      const remaining = this.received - this.entriesEnd;
      if (remaining < this.hashLength) {
        throw new PackParserError('PACK_TRUNCATED', `pack ends inside its ${this.hashLength}-byte checksum`, {
          offset: this.received,
        });
      }
      if (remaining > this.hashLength) {
        if (trailerValid) {
          throw new PackParserError(
            'PACK_OBJECT_COUNT_MISMATCH',
            `pack header announces ${this.header!.objectCount} objects but more entries follow them`,
            { offset: this.entriesEnd },
          );
        }
        throw new PackParserError(
          'PACK_TRAILING_DATA',
          `${remaining - this.hashLength} unexpected bytes follow the pack's checksum`,
          { offset: this.entriesEnd + this.hashLength },
        );
      }
      if (!trailerValid) {
        throw new PackParserError(
          'PACK_CHECKSUM_MISMATCH',
          'pack checksum does not match its content: the pack was corrupted or cut',
          { offset: this.entriesEnd },
        );
      }
      this.state = ScanState.Done;
      this.buffer = Buffer.alloc(0);
      return {
        checksum: this.checksum.trailer,
        entriesEnd: this.entriesEnd,
        byteLength: this.received,
        objectCount: this.entriesParsed,
        version: this.header!.version,
      };
    } catch (error) {
      throw this.fail(error);
    }
  }

  /**
   * Lets the scanner's buffers go once the pack is decoded (or abandoned): the scanner cannot be
   * written to afterwards. Whatever still refers to it (a closure V8 keeps in a call site's
   * feedback until the next pack goes through it) then holds no pack data.
   */
  release(): void {
    this.buffer = Buffer.alloc(0);
    this.bufferOffset = 0;
    this.readPos = 0;
    this.writePos = 0;
    this.inflated.release();
  }

  private fail(error: unknown): unknown {
    if (error instanceof PackParserError) {
      this.failure = error;
      this.state = ScanState.Failed;
    }
    return error;
  }

  private failHeaderAtEnd(): never {
    const available = this.writePos - this.readPos;
    if (available >= 4 && this.buffer.readUInt32BE(this.readPos) !== PACK_SIGNATURE) this.badSignature();
    throw new PackParserError('PACK_TRUNCATED', `pack ends after ${this.received} bytes, inside its 12-byte header`, {
      offset: this.received,
    });
  }

  private badSignature(): never {
    throw new PackParserError('PACK_BAD_SIGNATURE', 'input is not a git pack: it does not start with "PACK"', {
      offset: 0,
    });
  }

  private trailerMatchesDigest(): boolean {
    return this.received >= this.hashLength + 12 && this.checksum.matches();
  }

  private appendToBuffer(chunk: Buffer): void {
    if (this.writePos + chunk.length > this.buffer.length) {
      const unread = this.writePos - this.readPos;
      const needed = unread + chunk.length;
      if (needed <= this.buffer.length && this.readPos > 0) {
        this.buffer.copy(this.buffer, 0, this.readPos, this.writePos);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
        this.buffer.copy(grown, 0, this.readPos, this.writePos);
        this.buffer = grown;
      }
      this.bufferOffset += this.readPos;
      this.readPos = 0;
      this.writePos = unread;
    }
    chunk.copy(this.buffer, this.writePos);
    this.writePos += chunk.length;
  }

  private scan(ended: boolean): void {
    if (this.state === ScanState.Header) {
      if (this.writePos - this.readPos < 12) return;
      this.readHeader();
    }
    while (this.state === ScanState.Entries) {
      const entryOffset = this.bufferOffset + this.readPos;
      let consumed: number;
      try {
        consumed = this.readEntry(ended);
      } catch (error) {
        // Parsing the trailer as an entry fails when the header announced too many objects: keep the
        // error until we know whether these bytes are the pack's checksum.
        if (error instanceof PackParserError && this.received - entryOffset <= this.hashLength) {
          this.deferred = { error, offset: entryOffset };
          return;
        }
        throw error;
      }
      if (consumed === 0) return;
      this.readPos += consumed;
      this.entriesParsed++;
      if (this.entriesParsed === this.header!.objectCount) {
        this.state = ScanState.Trailer;
        this.entriesEnd = this.bufferOffset + this.readPos;
      }
    }
  }

  private readHeader(): void {
    const b = this.buffer;
    const p = this.readPos;
    if (b.readUInt32BE(p) !== PACK_SIGNATURE) this.badSignature();
    const version = b.readUInt32BE(p + 4);
    if (version !== 2 && version !== 3) {
      throw new PackParserError('PACK_UNSUPPORTED_VERSION', `pack version ${version} is not supported (2 and 3 are)`, {
        offset: 4,
      });
    }
    const objectCount = b.readUInt32BE(p + 8);
    if (objectCount > this.limits.maxObjectCount) {
      throw new PackParserError(
        'PACK_LIMIT_OBJECT_COUNT',
        `pack announces ${objectCount} objects, more than the limit of ${this.limits.maxObjectCount}`,
        { offset: 8 },
      );
    }
    this.header = { version, objectCount };
    this.readPos += 12;
    this.state = objectCount === 0 ? ScanState.Trailer : ScanState.Entries;
    this.entriesEnd = 12;
    this.observer.onHeader?.(this.header);
  }

  /** Reads the entry at readPos; returns its byte length, or 0 when more input is needed. */
  private readEntry(ended: boolean): number {
    const b = this.buffer;
    const start = this.readPos;
    const end = this.writePos;
    const offset = this.bufferOffset + start;
    let p = start;
    if (p >= end) return this.needMore(ended, offset);
    let c = b[p++]!;
    const kind = (c >> 4) & 7;
    let size = c & 0x0f;
    let shift = 4;
    while (c & 0x80) {
      if (p >= end) return this.needMore(ended, offset);
      c = b[p++]!;
      size += (c & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 53) throw new PackParserError('PACK_BAD_OBJECT_HEADER', `object header at ${offset} is too long`, { offset });
    }
    if (kind === 0 || kind === 5) {
      throw new PackParserError('PACK_BAD_OBJECT_TYPE', `object at ${offset} has invalid type ${kind}`, { offset });
    }
    let baseOffset: number | undefined;
    let baseId: Buffer | undefined;
    if (kind === EntryKind.OfsDelta) {
      if (p >= end) return this.needMore(ended, offset);
      c = b[p++]!;
      let distance = c & 0x7f;
      while (c & 0x80) {
        if (p >= end) return this.needMore(ended, offset);
        c = b[p++]!;
        distance = (distance + 1) * 128 + (c & 0x7f);
        if (distance > Number.MAX_SAFE_INTEGER / 256) {
          throw new PackParserError('PACK_BAD_OFS_DELTA', `delta at ${offset} has an oversized base offset`, { offset });
        }
      }
      baseOffset = offset - distance;
      if (distance === 0 || baseOffset < 12) {
        throw new PackParserError(
          'PACK_BAD_OFS_DELTA',
          distance === 0
            ? `delta at ${offset} names itself as its base`
            : `delta at ${offset} names a base ${distance} bytes back, before the start of the pack`,
          { offset },
        );
      }
    } else if (kind === EntryKind.RefDelta) {
      if (end - p < this.hashLength) return this.needMore(ended, offset);
      baseId = Buffer.from(b.subarray(p, p + this.hashLength));
      p += this.hashLength;
    }
    if (size > this.limits.maxObjectSize) {
      throw new PackParserError(
        'PACK_LIMIT_OBJECT_SIZE',
        `object at ${offset} is ${size} bytes, more than the limit of ${this.limits.maxObjectSize}`,
        { offset },
      );
    }
    const headerLength = p - start;
    const available = end - p;
    if (!ended && this.shortInflateAt > 0 && available < Math.max(this.shortInflateAt * 2, this.shortInflateAt + MIN_INFLATE_RETRY_GROWTH)) {
      return 0;
    }
    const inflated = this.inflate(b.subarray(p, end), size, offset, ended);
    if (inflated === undefined) {
      this.shortInflateAt = Math.max(available, 1);
      return this.needMore(ended, offset);
    }
    this.shortInflateAt = 0;
    const packedLength = headerLength + inflated.consumed;
    this.observer.onEntry({
      offset,
      headerLength,
      kind,
      size,
      data: inflated.data,
      crc32: crc32(b.subarray(start, start + packedLength)),
      packedLength,
      baseOffset,
      baseId,
    });
    return packedLength;
  }

  private needMore(ended: boolean, offset: number): 0 {
    if (ended) {
      throw new PackParserError('PACK_TRUNCATED', `pack ends inside the object at ${offset}`, { offset });
    }
    return 0;
  }

  /** Inflates one zlib stream; undefined when the input ends before the stream does. */
  private inflate(input: Buffer, size: number, offset: number, ended: boolean): { data: Buffer; consumed: number } | undefined {
    const outcome = this.inflater.inflate(input, size, this.inflated.atLeast(size + 1));
    switch (outcome.kind) {
      case 'short':
        if (!ended) return undefined;
        throw new PackParserError('PACK_TRUNCATED', `pack ends inside the compressed data of the object at ${offset}`, { offset });
      case 'too-large':
        throw new PackParserError('PACK_SIZE_MISMATCH', `object at ${offset} inflates to more than its declared ${size} bytes`, { offset });
      case 'corrupt':
        throw new PackParserError('PACK_ZLIB_ERROR', `object at ${offset} has corrupt compressed data: ${outcome.message}`, { offset });
    }
    const { data, consumed } = outcome;
    if (data.length !== size) {
      throw new PackParserError(
        'PACK_SIZE_MISMATCH',
        `object at ${offset} inflates to ${data.length} bytes but its header says ${size}`,
        { offset },
      );
    }
    if (size >= this.limits.inflateRatioMinBytes && size / consumed > this.limits.maxInflateRatio) {
      throw new PackParserError(
        'PACK_LIMIT_INFLATE_RATIO',
        `object at ${offset} inflates ${consumed} bytes to ${size} (ratio above the limit of ${this.limits.maxInflateRatio})`,
        { offset },
      );
    }
    return { data, consumed };
  }
}
