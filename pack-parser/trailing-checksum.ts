import { createHash, type Hash } from 'node:crypto';

/**
 * Hashes a stream whose last `length` bytes are a checksum of everything before them, without
 * knowing where the stream ends: the newest `length` bytes are always held back from the hash.
 */
export class TrailingChecksum {
  private readonly hash: Hash;
  private readonly held: Buffer;
  private heldLength = 0;

  constructor(
    algorithm: 'sha1' | 'sha256',
    readonly length: number,
  ) {
    this.hash = createHash(algorithm);
    this.held = Buffer.alloc(length);
  }

  update(chunk: Buffer): void {
    const h = this.length;
    if (chunk.length >= h) {
      if (this.heldLength > 0) this.hash.update(this.held.subarray(0, this.heldLength));
      this.hash.update(chunk.subarray(0, chunk.length - h));
      chunk.copy(this.held, 0, chunk.length - h);
      this.heldLength = h;
      return;
    }
    const overflow = this.heldLength + chunk.length - h;
    if (overflow > 0) {
      this.hash.update(this.held.subarray(0, overflow));
      this.held.copy(this.held, 0, overflow, this.heldLength);
      this.heldLength -= overflow;
    }
    chunk.copy(this.held, this.heldLength);
    this.heldLength += chunk.length;
  }

  /** The last `length` bytes seen (fewer if the stream was shorter). */
  get trailer(): Buffer {
    return Buffer.from(this.held.subarray(0, this.heldLength));
  }

  /** Whether the held-back bytes are the checksum of all bytes before them. Call once, at the end. */
  matches(): boolean {
    return this.heldLength === this.length && this.hash.digest().equals(this.held);
  }
}
