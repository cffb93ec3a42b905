import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/**
 * Random access to the raw bytes of a pack as it streams in. The decoder appends every chunk and
 * reads back ranges by offset to re-inflate delta bases it evicted from memory.
 */
export interface PackSpool {
  /** Bytes appended so far. */
  readonly size: number;
  append(chunk: Buffer): void;
  /**
   * Exactly `length` bytes starting at `offset`; the range must lie within `size`. Given a
   * `scratch` of at least `length` bytes, the bytes may come back in it or in the spool's own
   * memory: valid until the next read, not to be kept or modified. Without it, a buffer of their own.
   */
  read(offset: number, length: number, scratch?: Buffer): Buffer;
  /** The spooled bytes from `start` to the end, for forwarding them unchanged. */
  openReadStream(start?: number): Readable;
  /** Frees memory and deletes any temporary file. */
  close(): void;
}

function checkRange(offset: number, length: number, size: number): void {
  if (offset < 0 || length < 0 || offset + length > size) {
    throw new RangeError(`spool read of ${length} bytes at ${offset} is outside the ${size} spooled bytes`);
  }
}

function preadExactly(fd: number, offset: number, length: number, scratch?: Buffer): Buffer {
  const out = scratch !== undefined && scratch.length >= length ? scratch.subarray(0, length) : Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, offset + done);
    if (n === 0) throw new RangeError(`spool file ended at ${offset + done}, expected ${offset + length}`);
    done += n;
  }
  return out;
}

export interface SpillingPackSpoolOptions {
  /** Bytes kept in memory before everything moves to a temporary file. Default 8 MiB. */
  memoryLimitBytes?: number;
  /** Where the temporary file goes. Default: the OS temp directory. */
  tempDirectory?: string;
}

/** Keeps the first bytes in memory and spills to a private temporary file past a threshold. */
export class SpillingPackSpool implements PackSpool {
  private memory: Buffer;
  private memoryUsed = 0;
  private fd: number | undefined;
  private directory: string | undefined;
  private filePath: string | undefined;
  private bytes = 0;
  private readonly memoryLimit: number;
  private readonly tempDirectory: string;

  constructor(options: SpillingPackSpoolOptions = {}) {
    this.memoryLimit = options.memoryLimitBytes ?? 8 * 1024 * 1024;
    this.tempDirectory = options.tempDirectory ?? tmpdir();
    this.memory = Buffer.allocUnsafe(Math.min(this.memoryLimit, 64 * 1024));
  }

  get size(): number {
    return this.bytes;
  }

  /** The temporary file's path once the spool has spilled to disk. */
  get path(): string | undefined {
    return this.filePath;
  }

  append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.fd === undefined && this.memoryUsed + chunk.length <= this.memoryLimit) {
      if (this.memoryUsed + chunk.length > this.memory.length) {
        const grown = Buffer.allocUnsafe(Math.min(this.memoryLimit, Math.max(this.memory.length * 2, this.memoryUsed + chunk.length)));
        this.memory.copy(grown, 0, 0, this.memoryUsed);
        this.memory = grown;
      }
      chunk.copy(this.memory, this.memoryUsed);
      this.memoryUsed += chunk.length;
    } else {
      if (this.fd === undefined) this.spill();
      let written = 0;
      while (written < chunk.length) written += writeSync(this.fd!, chunk, written, chunk.length - written);
    }
    this.bytes += chunk.length;
  }

  read(offset: number, length: number, scratch?: Buffer): Buffer {
    checkRange(offset, length, this.bytes);
    if (this.fd === undefined) {
      const bytes = this.memory.subarray(offset, offset + length);
      return scratch === undefined ? Buffer.from(bytes) : bytes;
    }
    return preadExactly(this.fd, offset, length, scratch);
  }

  openReadStream(start = 0): Readable {
    if (this.fd === undefined) return Readable.from([Buffer.from(this.memory.subarray(start, this.memoryUsed))]);
    return createReadStream(this.filePath!, { start, end: this.bytes - 1 });
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    if (this.directory !== undefined) {
      rmSync(this.directory, { recursive: true, force: true });
      this.directory = undefined;
      this.filePath = undefined;
    }
    this.memory = Buffer.alloc(0);
    this.memoryUsed = 0;
  }

  private spill(): void {
    this.directory = mkdtempSync(join(this.tempDirectory, 'gitgate-pack-'));
    this.filePath = join(this.directory, 'incoming.pack');
    this.fd = openSync(this.filePath, 'wx+', 0o600);
    let written = 0;
    while (written < this.memoryUsed) written += writeSync(this.fd, this.memory, written, this.memoryUsed - written);
    this.memory = Buffer.alloc(0);
  }
}

/**
 * A pack that is already a file: nothing is copied, `append` only counts, reads go to the file.
 * Used by `gitgate pack index <file>`.
 */
export class PackFileSpool implements PackSpool {
  private readonly fd: number;
  private bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
  }

  get size(): number {
    return this.bytes;
  }

  get fileSize(): number {
    return fstatSync(this.fd).size;
  }

  append(chunk: Buffer): void {
    this.bytes += chunk.length;
  }

  read(offset: number, length: number, scratch?: Buffer): Buffer {
    checkRange(offset, length, this.bytes);
    return preadExactly(this.fd, offset, length, scratch);
  }

  openReadStream(start = 0): Readable {
    return createReadStream(this.path, { start, end: this.bytes - 1 });
  }

  close(): void {
    closeSync(this.fd);
  }
}
