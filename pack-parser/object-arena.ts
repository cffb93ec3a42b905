/**
 * The cache of resolved objects used as delta bases: one preallocated slab used as a ring, so that
 * resolving millions of deltas allocates (and garbage-collects) nothing per object.
 *
 * Objects are carved out of the slab in order; making room evicts the oldest ones. An object read
 * while it is among the oldest quarter is moved to the newest end (a second chance), which makes
 * the ring behave like an LRU for the bases that deltas keep coming back to. Objects larger than a
 * quarter of the slab are returned as ordinary buffers and not kept.
 *
 * A buffer handed out stays valid only until a later `allocate` may reuse its bytes; callers copy
 * what they keep.
 */
export class ObjectArena {
  private slab: Buffer;
  private head = 0;
  private readonly entries = new Map<number, Buffer>();
  /** Allocation order: keys and slab offsets, oldest first from `front`. */
  private queueKeys: number[] = [];
  private queueStarts: number[] = [];
  private front = 0;
  hits = 0;
  misses = 0;

  constructor(readonly budgetBytes: number) {
    this.slab = Buffer.allocUnsafe(Math.max(64 * 1024, budgetBytes));
  }

  get maxEntryBytes(): number {
    return this.slab.length >>> 2;
  }

  /** Whether `key` is cached (not counted as a hit or a miss). */
  has(key: number): boolean {
    return this.entries.has(key);
  }

  get(key: number): Buffer | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    const start = value.byteOffset - this.slab.byteOffset;
    const age = (this.head - start + this.slab.length) % this.slab.length;
    if (age > this.slab.length - (this.slab.length >>> 2)) {
      return this.store(key, Buffer.from(value));
    }
    return value;
  }

  /**
   * Space for a `headerLength`-byte object header followed by `contentLength` bytes of content;
   * the content part is remembered under `key`. The header is there so that header and content can
   * be hashed in one call; it may be overwritten once the content is cached.
   */
  allocate(key: number, headerLength: number, contentLength: number): Buffer {
    const length = headerLength + contentLength;
    if (length > this.maxEntryBytes) return Buffer.allocUnsafe(length);
    const size = this.slab.length;
    if (this.head + length > size) {
      // Wrap: whatever is left in the tail from the previous round is the oldest; let it go.
      while (this.front < this.queueKeys.length && this.queueStarts[this.front]! >= this.head) this.evictFront();
      this.head = 0;
    }
    const end = this.head + length;
    while (this.front < this.queueKeys.length) {
      const start = this.queueStarts[this.front]!;
      if (start < this.head || start >= end) break;
      this.evictFront();
    }
    const region = this.slab.subarray(this.head, end);
    this.entries.set(key, region.subarray(headerLength));
    this.queueKeys.push(key);
    this.queueStarts.push(this.head + headerLength);
    this.head = end;
    if (this.front > 4096 && this.front * 2 > this.queueKeys.length) {
      this.queueKeys = this.queueKeys.slice(this.front);
      this.queueStarts = this.queueStarts.slice(this.front);
      this.front = 0;
    }
    return region;
  }

  /**
   * Copies `content` into the arena under `key` and returns the arena's copy; content too large to
   * keep is returned as it is (not copied: copying a large object would only double its memory).
   */
  store(key: number, content: Buffer): Buffer {
    if (content.length > this.maxEntryBytes) return content;
    const region = this.allocate(key, 0, content.length);
    region.set(content);
    return region;
  }

  /** Whether `buffer` lies in the arena, where a later `allocate` may reuse its bytes. */
  holds(buffer: Buffer): boolean {
    return buffer.buffer === this.slab.buffer;
  }

  /** Whether the next allocation of `length` bytes (header included) could overwrite `buffer`. */
  wouldOverwrite(buffer: Buffer, length: number): boolean {
    if (!this.holds(buffer) || length > this.maxEntryBytes) return false;
    const start = buffer.byteOffset - this.slab.byteOffset;
    const bufferEnd = start + buffer.length;
    const allocStart = this.head + length > this.slab.length ? 0 : this.head;
    const allocEnd = allocStart + length;
    if (allocStart === 0 && this.head + length > this.slab.length && start >= this.head) return true;
    return start < allocEnd && bufferEnd > allocStart;
  }

  /** Forgets a key (its bytes are reused in time). */
  delete(key: number): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.queueKeys = [];
    this.queueStarts = [];
    this.front = 0;
    this.head = 0;
  }

  /** Empties the cache and lets its slab go: the arena cannot be used afterwards. */
  release(): void {
    this.clear();
    this.slab = Buffer.alloc(0);
  }

  private evictFront(): void {
    const key = this.queueKeys[this.front]!;
    const start = this.queueStarts[this.front]!;
    this.front++;
    const current = this.entries.get(key);
    // The key may have been allocated again since; only drop it if this is its current place.
    if (current !== undefined && current.byteOffset - this.slab.byteOffset === start && current.buffer === this.slab.buffer) {
      this.entries.delete(key);
    }
  }
}
