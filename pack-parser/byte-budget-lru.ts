/**
 * A least-recently-used map of buffers bounded by their total byte length. Used to keep resolved
 * delta bases; whatever it evicts can be rebuilt from the spooled pack.
 */
export class ByteBudgetLru<K> {
  private readonly entries = new Map<K, Buffer>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly budgetBytes: number,
    /** Buffers larger than this are never kept. */
    readonly maxEntryBytes: number = Math.floor(budgetBytes / 4),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get(key: K): Buffer | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Move to the most recently used end.
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: Buffer): void {
    if (value.length > this.maxEntryBytes) return;
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.bytes -= previous.length;
      this.entries.delete(key);
    }
    this.entries.set(key, value);
    this.bytes += value.length;
    if (this.bytes > this.budgetBytes) this.evict();
  }

  delete(key: K): void {
    const previous = this.entries.get(key);
    if (previous === undefined) return;
    this.bytes -= previous.length;
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private evict(): void {
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.budgetBytes) break;
      this.entries.delete(key);
      this.bytes -= value.length;
    }
  }
}
