/**
 * Compact per-object records of a pack being decoded, in typed arrays rather than one JS object per
 * entry, so that a pack of millions of objects costs tens of bytes per object.
 */

/** Pack entry kinds as stored in the pack: 1-4 are whole objects, 6 and 7 deltas. */
export const enum EntryKind {
  Commit = 1,
  Tree = 2,
  Blob = 3,
  Tag = 4,
  OfsDelta = 6,
  RefDelta = 7,
}

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export const OBJECT_TYPE_NAMES: readonly (ObjectType | undefined)[] = [
  undefined,
  'commit',
  'tree',
  'blob',
  'tag',
];

/** No base (whole object) or a base outside the table (REF_DELTA to an id not resolved in the pack). */
export const NO_BASE = -1;

export class PackObjectTable {
  count = 0;
  /** Entry offsets: 32-bit while the pack size limit allows (the usual case), else 64-bit floats. */
  offsets: Float64Array | Uint32Array;
  /** Offset where the compressed data starts, relative to the entry offset. */
  headerLengths: Uint8Array;
  kinds: Uint8Array;
  /** Resolved object type (1-4); 0 while a delta is unresolved. */
  types: Uint8Array;
  /** Inflated size of the entry's data: the object size, or for a delta the delta's size (< 4 GiB: see PackLimits). */
  sizes: Uint32Array;
  crc32s: Uint32Array;
  /** Table index of an in-pack base (OFS_DELTA, or REF_DELTA whose base was already known). */
  bases: Int32Array;
  depths: Uint16Array;
  /** Delta children of each entry as linked lists: first child and next sibling, index + 1 (0: none). */
  firstChild: Int32Array;
  nextSibling: Int32Array;
  /** Decoder bookkeeping bits per entry (see PackDecoder). */
  flags: Uint8Array;
  /** Object ids, `hashLength` bytes each; valid once the object is resolved. */
  ids: Buffer;
  /** Open-addressing hash of resolved ids to table indices (index + 1; 0 is empty). */
  private readonly wideOffsets: boolean;
  private slots: Int32Array;
  private slotMask: number;
  private resolvedCount = 0;

  constructor(
    readonly hashLength: number,
    initialCapacity = 1024,
    /** Largest pack this table will describe: offsets take 4 bytes below 4 GiB, else 8. */
    maxPackBytes = 0xffffffff,
  ) {
    const capacity = Math.max(16, initialCapacity);
    this.wideOffsets = maxPackBytes > 0xffffffff;
    this.offsets = this.wideOffsets ? new Float64Array(capacity) : new Uint32Array(capacity);
    this.headerLengths = new Uint8Array(capacity);
    this.kinds = new Uint8Array(capacity);
    this.types = new Uint8Array(capacity);
    this.sizes = new Uint32Array(capacity);
    this.crc32s = new Uint32Array(capacity);
    this.bases = new Int32Array(capacity);
    this.depths = new Uint16Array(capacity);
    this.firstChild = new Int32Array(capacity);
    this.nextSibling = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.ids = Buffer.alloc(capacity * hashLength);
    const slotCount = 1 << Math.ceil(Math.log2((capacity * 4) / 3 + 1));
    this.slots = new Int32Array(slotCount);
    this.slotMask = slotCount - 1;
  }

  get capacity(): number {
    return this.offsets.length;
  }

  /**
   * Makes room for `count` entries at once (the count the pack header announces), so the arrays
   * never grow by copying. Fresh typed arrays are zero pages the OS commits only once written, so
   * an announced count larger than the real one costs address space, not memory.
   */
  reserve(count: number): void {
    if (count > this.capacity) this.resize(count);
  }

  /** Adds an entry and returns its index. */
  add(offset: number, headerLength: number, kind: EntryKind, size: number, crc32: number, base: number): number {
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    this.offsets[i] = offset;
    this.headerLengths[i] = headerLength;
    this.kinds[i] = kind;
    this.types[i] = kind <= EntryKind.Tag ? kind : 0;
    this.sizes[i] = size;
    this.crc32s[i] = crc32;
    this.bases[i] = base;
    this.depths[i] = 0;
    return i;
  }

  /** Records `child` as a delta whose base is `base`. */
  linkChild(child: number, base: number): void {
    this.nextSibling[child] = this.firstChild[base]!;
    this.firstChild[base] = child + 1;
  }

  /** Index of the entry that starts exactly at `offset`, or -1. Offsets are added in increasing order. */
  indexAtOffset(offset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    const offsets = this.offsets;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const value = offsets[mid]!;
      if (value === offset) return mid;
      if (value < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  id(index: number): Buffer {
    return this.ids.subarray(index * this.hashLength, (index + 1) * this.hashLength);
  }

  isResolved(index: number): boolean {
    return this.types[index] !== 0;
  }

  /** Records the resolved type and id; returns the index of an earlier entry with the same id, or -1. */
  resolve(index: number, type: number, id: Uint8Array): number {
    this.ids.set(id, index * this.hashLength);
    return this.resolveWritten(index, type);
  }

  /** `resolve` with the id in lowercase hex, written straight into the table (no buffer between). */
  resolveHex(index: number, type: number, idHex: string): number {
    this.ids.write(idHex, index * this.hashLength, this.hashLength, 'hex');
    return this.resolveWritten(index, type);
  }

  private resolveWritten(index: number, type: number): number {
    this.types[index] = type;
    // Load factor at most 3/4: linear probing stays short, and the table costs 5-10 bytes an object.
    if ((this.resolvedCount + 1) * 4 > this.slots.length * 3) this.rehash(this.slots.length * 2);
    const existing = this.insertSlot(index);
    if (existing < 0) this.resolvedCount++;
    return existing;
  }

  /** Index of the resolved entry with this id, or -1. */
  findId(id: Uint8Array): number {
    const hashLength = this.hashLength;
    const ids = this.ids;
    let slot = this.slotOf(id, 0);
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === 0) return -1;
      const start = (entry - 1) * hashLength;
      let equal = true;
      for (let k = 0; k < hashLength; k++) {
        if (ids[start + k] !== id[k]) {
          equal = false;
          break;
        }
      }
      if (equal) return entry - 1;
      slot = (slot + 1) & this.slotMask;
    }
  }

  /** Byte length of the entry (header and compressed data), given where the entries end. */
  packedLength(index: number, entriesEnd: number): number {
    const next = index + 1 < this.count ? this.offsets[index + 1]! : entriesEnd;
    return next - this.offsets[index]!;
  }

  private slotOf(id: Uint8Array, from: number): number {
    // Object ids are uniformly distributed: their first four bytes are a good hash.
    return (((id[from]! << 24) | (id[from + 1]! << 16) | (id[from + 2]! << 8) | id[from + 3]!) >>> 0) & this.slotMask;
  }

  private insertSlot(index: number): number {
    const ids = this.ids;
    const hashLength = this.hashLength;
    const start = index * hashLength;
    let slot = this.slotOf(ids, start);
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === 0) {
        this.slots[slot] = index + 1;
        return -1;
      }
      const other = (entry - 1) * hashLength;
      let k = 0;
      while (k < hashLength && ids[start + k] === ids[other + k]) k++;
      if (k === hashLength) return entry - 1;
      slot = (slot + 1) & this.slotMask;
    }
  }

  private rehash(slotCount: number): void {
    const old = this.slots;
    this.slots = new Int32Array(slotCount);
    this.slotMask = slotCount - 1;
    for (const entry of old) if (entry !== 0) this.insertSlot(entry - 1);
  }

  private grow(): void {
    this.resize(this.capacity * 2);
  }

  private resize(capacity: number): void {
    this.offsets = withCapacity(this.offsets, capacity);
    this.sizes = withCapacity(this.sizes, capacity);
    this.headerLengths = withCapacity(this.headerLengths, capacity);
    this.kinds = withCapacity(this.kinds, capacity);
    this.types = withCapacity(this.types, capacity);
    this.crc32s = withCapacity(this.crc32s, capacity);
    this.bases = withCapacity(this.bases, capacity);
    this.depths = withCapacity(this.depths, capacity);
    this.firstChild = withCapacity(this.firstChild, capacity);
    this.nextSibling = withCapacity(this.nextSibling, capacity);
    this.flags = withCapacity(this.flags, capacity);
    const ids = Buffer.alloc(capacity * this.hashLength);
    this.ids.copy(ids);
    this.ids = ids;
  }
}

type EntryArray = Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

/** A zeroed array of the same kind with room for `capacity` entries, holding `array`'s values. */
function withCapacity<T extends EntryArray>(array: T, capacity: number): T {
  const grown = new (array.constructor as new (length: number) => T)(capacity);
  grown.set(array);
  return grown;
}
