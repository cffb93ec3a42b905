/**
 * One buffer reused for data that lives only until the next use: inflated entries, compressed
 * bytes read back from the spool. A fresh buffer each time is garbage at once, and Node frees such
 * memory only when the garbage collector runs, which it does about every 64 MB of it: a 500 MB
 * push of 1 MB files peaked that much higher in RSS.
 */
export class ReusableBuffer {
  private buffer: Buffer | undefined;

  /** @param maxBytes the largest buffer kept; larger requests get none (allocate your own). */
  constructor(private readonly maxBytes: number) {}

  /** A buffer of at least `length` bytes (grown, doubling, up to maxBytes), or undefined past maxBytes. */
  atLeast(length: number): Buffer | undefined {
    if (length > this.maxBytes) return undefined;
    if (this.buffer === undefined || this.buffer.length < length) {
      this.buffer = Buffer.allocUnsafe(Math.min(this.maxBytes, Math.max(length, 2 * (this.buffer?.length ?? 16 * 1024))));
    }
    return this.buffer;
  }

  /** Lets the buffer go (the next `atLeast` allocates again). */
  release(): void {
    this.buffer = undefined;
  }
}
