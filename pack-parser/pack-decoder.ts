import { hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ObjectArena } from './object-arena.js';
import { createInflater, type Inflater } from './zlib-inflater.js';
import { ReusableBuffer } from './reusable-buffer.js';
import { applyDelta, applyDeltaInto, checkResultSize, readDeltaSizes } from './delta.js';
import { PackParserError } from './errors.js';
import { resolvePackLimits, type PackLimits } from './limits.js';
import { hashLengthOf, objectId, type HashAlgorithm } from './object-id.js';
import { EntryKind, NO_BASE, OBJECT_TYPE_NAMES, PackObjectTable, type ObjectType } from './pack-object-table.js';
import { PackScanner, type PackEntry, type PackHeader, type PackTrailer } from './pack-scanner.js';
import { SpillingPackSpool, type PackSpool } from './pack-spool.js';
import { ExternalBaseStore, type ExternalBaseResolver } from './external-bases.js';

export type { ExternalBase, ExternalBaseResolver } from './external-bases.js';

/** An object of the pack with its deltas applied and its id computed. */
export interface DecodedObject {
  /** Position of the entry in the pack (0-based, pack order). */
  index: number;
  offset: number;
  type: ObjectType;
  id: string;
  /** Size of the object content. */
  size: number;
  /** Inflated size of the pack entry: the object size, or the size of the delta data for a delta. */
  entrySize: number;
  /** Bytes of the entry in the pack (header and compressed data). */
  packedLength: number;
  crc32: number;
  /** Delta chain length (0 for whole objects). */
  depth: number;
  /** Id of the immediate delta base, for deltas. */
  baseId: string | undefined;
  /** True when the delta base came from outside the pack (a thin pack). */
  externalBase: boolean;
  /** The object content. Valid during the callback; do not modify it. */
  content: Buffer;
}

export interface PackDecoderOptions {
  limits?: Partial<PackLimits>;
  hashAlgorithm?: HashAlgorithm;
  /** Where raw pack bytes go for re-reading; default: memory, then a private temporary file. */
  spool?: PackSpool;
  /** Byte budget of the cache of resolved objects used as delta bases. Default 8 MiB. */
  baseCacheBytes?: number;
  /** Supplies REF_DELTA bases that are not in the pack (thin packs); undefined when unknown. */
  resolveExternalBase?: ExternalBaseResolver;
  /** Told about every object once it is resolved; pack order for whole objects, not for all deltas. */
  onObject?: (object: DecodedObject) => void;
  onHeader?: (header: PackHeader) => void;
}

export interface PackSummary {
  version: 2 | 3;
  objectCount: number;
  /** Hex of the pack's trailing checksum. */
  checksum: string;
  byteLength: number;
  countsByType: Record<ObjectType, number>;
  deltaCount: number;
  /** Distinct bases that came from outside the pack. */
  externalBaseCount: number;
  maxDepth: number;
  baseCache: { hits: number; misses: number; budgetBytes: number };
}

/**
 * 8 MiB. A delta whose base has left the cache is not rebuilt but deferred and resolved depth
 * first at the end, so a larger cache buys little: on the 579 MB benchmark pack 8, 16 and 32 MiB
 * decode in 38.0, 36.4 and 36.5 s; 8 MiB keeps its peak RSS under 200 MiB.
 */
const DEFAULT_BASE_CACHE_BYTES = 8 * 1024 * 1024;
/** Largest compressed entry read back into the decoder's reused buffer. */
const COMPRESSED_READ_BACK_MAX_BYTES = 8 * 1024 * 1024;

/** Flag bits in PackObjectTable.flags. */
const DEFERRED = 1;
const HAS_DEFERRED = 2;

/** Contents kept along the path while resolving deferred deltas depth first. */
const DESCEND_KEEP_BYTES = 64 * 1024 * 1024;

/**
 * Longest stretch of work `end()` does before it lets the event loop run other tasks, and after
 * which `write()` puts the deltas left in its chunk off until `end()`: resolving the deltas of a
 * 35 KB pack can take seconds (300 deltas of 64 MiB each), and the gateway serves every other
 * client on the same event loop.
 */
const TURN_MS = 20;

/**
 * Streaming pack decoder: the parser layer above PackScanner. Resolves OFS and REF deltas (and
 * thin-pack bases through `resolveExternalBase`), computes object ids, keeps recently resolved
 * objects in a byte-bounded cache and rebuilds evicted bases from the spool.
 *
 * Feed it with `write(chunk)` (chunks of any size), then `await end()`.
 */
export class PackDecoder {
  readonly table: PackObjectTable;
  readonly spool: PackSpool;
  readonly hashAlgorithm: HashAlgorithm;
  private readonly limits: PackLimits;
  private readonly scanner: PackScanner;
  private readonly cache: ObjectArena;
  private readonly inflater: Inflater;
  /** Compressed bytes of entries read back from the spool: inflated at once, then not needed. */
  private readonly compressedReadBack = new ReusableBuffer(COMPRESSED_READ_BACK_MAX_BYTES);
  private readonly options: PackDecoderOptions;
  private readonly ownsSpool: boolean;
  /** Deltas put off until the end (see `onEntry`), not yet resolved. */
  private deferredCount = 0;
  /** REF_DELTAs whose base id is not (yet) a resolved object of the pack, by base id hex. */
  private readonly waitingOnId = new Map<string, number[]>();
  /** Base ids of REF_DELTA entries whose base is not in the table. */
  private readonly refBaseIds = new Map<number, Buffer>();
  private readonly externalBases: ExternalBaseStore;
  private entriesEnd = Infinity;
  /** Set once `end()` has resolved every object: `readObject` may be used. */
  private ended = false;
  private resolvedBytes = 0;
  private deltaCount = 0;
  private maxDepth = 0;
  private readonly countsByType: Record<ObjectType, number> = { commit: 0, tree: 0, blob: 0, tag: 0 };
  private trailer: PackTrailer | undefined;
  /** Packed length of the entry being scanned: its successor's offset is not known yet. */
  private currentPackedLength = 0;
  /** When the current `write()` began, or when `end()` last let the event loop run (`performance.now()`). */
  private turnStartedAt = 0;
  private closed = false;

  constructor(options: PackDecoderOptions = {}) {
    this.options = options;
    this.limits = resolvePackLimits(options.limits);
    this.hashAlgorithm = options.hashAlgorithm ?? 'sha1';
    const hashLength = hashLengthOf(this.hashAlgorithm);
    this.table = new PackObjectTable(hashLength, 1024, this.limits.maxPackBytes);
    this.ownsSpool = options.spool === undefined;
    this.spool = options.spool ?? new SpillingPackSpool();
    this.cache = new ObjectArena(options.baseCacheBytes ?? DEFAULT_BASE_CACHE_BYTES);
    this.inflater = createInflater();
    this.externalBases = new ExternalBaseStore(this.cache, this.hashAlgorithm, options.resolveExternalBase);
    this.scanner = new PackScanner(
      {
        onHeader: (header) => {
          this.table.reserve(header.objectCount);
          options.onHeader?.(header);
        },
        onEntry: (entry) => this.onEntry(entry),
      },
      this.limits,
      hashLength,
      this.inflater,
    );
  }

  get bytesReceived(): number {
    return this.scanner.bytesReceived;
  }

  /**
   * Takes the next bytes of the pack. Whole objects are identified at once; a delta whose base is
   * in the cache too, unless this call has already worked for TURN_MS: then it waits for `end()`,
   * which resolves in turns. One chunk thus holds the event loop for TURN_MS plus one object.
   */
  write(chunk: Buffer): void {
    if (this.closed) throw new Error('PackDecoder.write: the decoder is closed');
    this.turnStartedAt = performance.now();
    this.spool.append(chunk);
    this.scanner.write(chunk);
  }

  /** Verifies the trailer, resolves what waited for bases, and returns the summary. */
  async end(): Promise<PackSummary> {
    this.turnStartedAt = performance.now();
    const trailer = this.scanner.end();
    this.trailer = trailer;
    this.entriesEnd = trailer.entriesEnd;
    await this.resolveWaitingDeltas();
    this.ended = true;
    return {
      version: trailer.version,
      objectCount: trailer.objectCount,
      checksum: trailer.checksum.toString('hex'),
      byteLength: trailer.byteLength,
      countsByType: { ...this.countsByType },
      deltaCount: this.deltaCount,
      externalBaseCount: this.externalBases.count,
      maxDepth: this.maxDepth,
      baseCache: { hits: this.cache.hits, misses: this.cache.misses, budgetBytes: this.cache.budgetBytes },
    };
  }

  /** The pack's trailing checksum, once `end()` has verified it. */
  get checksum(): Buffer | undefined {
    return this.trailer?.checksum;
  }

  /**
   * An object of the pack by id, once `end()` has resolved: read back from the spool (and the
   * thin-pack bases) through the base cache, so the caller need not keep what it may read again.
   * The content is the caller's own (a copy, or a buffer nothing else holds). Undefined when the
   * pack has no such object.
   */
  readObject(id: string | Buffer): { type: ObjectType; content: Buffer } | undefined {
    if (!this.ended) throw new Error('PackDecoder.readObject: objects can be read back only after end() has verified the pack');
    if (this.closed) throw new Error('PackDecoder.readObject: the decoder is closed');
    const index = this.table.findId(typeof id === 'string' ? Buffer.from(id, 'hex') : id);
    if (index < 0) return undefined;
    // A whole object that is not cached is inflated for the caller alone: caching it on the way
    // would evict delta bases and take two more copies of it.
    const readAlone = this.table.kinds[index]! <= EntryKind.Tag && !this.cache.has(index);
    return { type: OBJECT_TYPE_NAMES[this.table.types[index]!]!, content: readAlone ? this.inflateEntry(index) : this.keepable(this.contentOf(index)) };
  }

  /**
   * Frees the cache, the buffers and the thin-pack bases; closes the spool if the decoder created
   * it. The table and checksum stay (an idx can still be written); objects cannot be read back.
   */
  close(): void {
    this.closed = true;
    this.cache.release();
    this.compressedReadBack.release();
    this.scanner.release();
    this.waitingOnId.clear();
    this.refBaseIds.clear();
    this.externalBases.close();
    if (this.ownsSpool) this.spool.close();
  }

  private onEntry(entry: PackEntry): void {
    const table = this.table;
    const index = table.add(entry.offset, entry.headerLength, entry.kind, entry.size, entry.crc32, NO_BASE);
    this.currentPackedLength = entry.packedLength;
    if (entry.kind <= EntryKind.Tag) {
      this.storeWhole(index, entry.kind, entry.data);
      return;
    }
    this.deltaCount++;
    if (entry.kind === EntryKind.OfsDelta) {
      const base = table.indexAtOffset(entry.baseOffset!);
      if (base < 0) {
        throw new PackParserError(
          'PACK_BAD_OFS_DELTA',
          `delta at ${entry.offset} names base offset ${entry.baseOffset}, where no object starts`,
          { offset: entry.offset },
        );
      }
      this.resolveOrDefer(index, base, entry.data);
      return;
    }
    const base = table.findId(entry.baseId!);
    if (base >= 0) {
      this.resolveOrDefer(index, base, entry.data);
    } else {
      this.refBaseIds.set(index, entry.baseId!);
      this.waitForId(entry.baseId!.toString('hex'), index);
    }
  }

  /**
   * A delta whose base is still in the cache is resolved at once, unless the current `write()` has
   * had its TURN_MS. Otherwise it waits for the end,
   * where deferred deltas are resolved depth first from their whole base objects, as git's
   * index-pack does: each base is then rebuilt once for all its descendants, instead of once per
   * delta (a large pack puts many deltas far from their bases, beyond any cache).
   */
  private resolveOrDefer(index: number, base: number, delta: Buffer): void {
    const table = this.table;
    table.bases[index] = base;
    table.linkChild(index, base);
    const baseContent = table.isResolved(base) && !this.turnDue() ? this.cache.get(base) : undefined;
    if (baseContent) {
      this.storeDelta(index, table.types[base]!, delta, baseContent, table.depths[base]! + 1);
      return;
    }
    this.defer(index);
  }

  /** Marks a delta for the end, and its ancestors as having a deferred descendant. */
  private defer(index: number): void {
    const table = this.table;
    table.flags[index]! |= DEFERRED;
    this.deferredCount++;
    let ancestor = table.bases[index]!;
    while (ancestor >= 0 && !(table.flags[ancestor]! & HAS_DEFERRED)) {
      table.flags[ancestor]! |= HAS_DEFERRED;
      ancestor = table.bases[ancestor]!;
    }
  }

  private waitForId(idHex: string, index: number): void {
    const list = this.waitingOnId.get(idHex);
    if (list) list.push(index);
    else this.waitingOnId.set(idHex, [index]);
  }

  /**
   * Hashes and caches a whole (non-delta) object. One too large for the cache is hashed where it
   * is, header and content separately: copying it behind its header would double its memory.
   */
  private storeWhole(index: number, type: number, data: Buffer): void {
    const header = `${OBJECT_TYPE_NAMES[type]!} ${data.length}\0`;
    if (header.length + data.length > this.cache.maxEntryBytes) {
      this.record(index, type, data, 0);
      return;
    }
    const region = this.cache.allocate(index, header.length, data.length);
    region.write(header, 0, 'latin1');
    data.copy(region, header.length);
    this.record(index, type, region.subarray(header.length), 0, region);
  }

  /** Applies a delta to its base content, then hashes and caches the result; returns the content. */
  private storeDelta(index: number, type: number, delta: Buffer, baseContent: Buffer, depth: number): Buffer {
    this.checkDepth(index, depth);
    const sizes = readDeltaSizes(delta);
    checkResultSize(sizes, this.limits.maxObjectSize);
    const header = `${OBJECT_TYPE_NAMES[type]!} ${sizes.resultSize}\0`;
    const base = this.cache.wouldOverwrite(baseContent, header.length + sizes.resultSize) ? Buffer.from(baseContent) : baseContent;
    const region = this.cache.allocate(index, header.length, sizes.resultSize);
    region.write(header, 0, 'latin1');
    applyDeltaInto(base, delta, sizes, region, header.length);
    const content = region.subarray(header.length);
    this.record(index, type, content, depth, region);
    return content;
  }

  private checkDepth(index: number, depth: number): void {
    if (depth > this.limits.maxDeltaDepth) {
      const offset = this.table.offsets[index]!;
      throw new PackParserError(
        'PACK_LIMIT_DELTA_DEPTH',
        `delta chain at ${offset} is ${depth} deep, more than the limit of ${this.limits.maxDeltaDepth}`,
        { offset },
      );
    }
  }

  /**
   * Counts, identifies and reports a resolved object. `region`, when given, holds the object header
   * followed by `content`: the id is then one `crypto.hash` call, the fastest for small objects.
   */
  private record(index: number, type: number, content: Buffer, depth: number, region?: Buffer): void {
    const table = this.table;
    this.countResolved(index, content.length);
    const typeName = OBJECT_TYPE_NAMES[type]!;
    // The id as hex straight from the hash when the header is in place: the table takes it from
    // there, and no buffer is made for it (one fewer allocation per object).
    let idHex: string;
    if (region === undefined) {
      const id = objectId(this.hashAlgorithm, typeName, content);
      table.resolve(index, type, id);
      idHex = id.toString('hex');
    } else {
      idHex = hash(this.hashAlgorithm, region, 'hex');
      table.resolveHex(index, type, idHex);
    }
    table.depths[index] = depth;
    if (depth > this.maxDepth) this.maxDepth = depth;
    this.countsByType[typeName]++;
    const onObject = this.options.onObject;
    if (onObject) {
      const base = table.bases[index]!;
      const refBase = this.refBaseIds.get(index);
      const kind = table.kinds[index]!;
      onObject({
        index,
        offset: table.offsets[index]!,
        type: typeName,
        id: idHex,
        size: content.length,
        entrySize: table.sizes[index]!,
        packedLength: index === table.count - 1 && this.trailer === undefined
          ? this.currentPackedLength
          : table.packedLength(index, this.entriesEnd),
        crc32: table.crc32s[index]!,
        depth,
        baseId: kind <= EntryKind.Tag ? undefined : base >= 0 ? table.id(base).toString('hex') : refBase?.toString('hex'),
        externalBase: kind === EntryKind.RefDelta && base < 0,
        content,
      });
    }
  }

  /**
   * Counts bytes of objects built (resolved, or rebuilt along a delta chain for a base or a read
   * back) against `maxResolvedBytes`: rebuilding is work a small pack can cause too (a chain of
   * 240 deltas of 16 KiB, 46 kB packed, cost 46 s of rebuilds before they were counted).
   */
  private countResolved(index: number, bytes: number): void {
    this.resolvedBytes += bytes;
    const { maxResolvedBytes, maxResolvedRatio, resolvedRatioFloorBytes } = this.limits;
    if (this.resolvedBytes > maxResolvedBytes) {
      throw new PackParserError('PACK_LIMIT_OBJECT_SIZE', `resolved objects exceed the limit of ${maxResolvedBytes} bytes in total`, {
        offset: this.table.offsets[index]!,
      });
    }
    if (this.resolvedBytes > resolvedRatioFloorBytes && this.resolvedBytes > maxResolvedRatio * this.bytesReceived) {
      throw new PackParserError(
        'PACK_LIMIT_OBJECT_SIZE',
        `resolved objects exceed ${maxResolvedRatio} times the ${this.bytesReceived} bytes of pack received (past ${resolvedRatioFloorBytes} bytes)`,
        { offset: this.table.offsets[index]! },
      );
    }
  }

  /** Content of a resolved entry: from the cache, or rebuilt from the spool along its delta chain. */
  private contentOf(index: number): Buffer {
    const cached = this.cache.get(index);
    if (cached) return cached;
    const table = this.table;
    const chain: number[] = [];
    let current = index;
    let content: Buffer;
    for (;;) {
      if (table.kinds[current]! <= EntryKind.Tag) {
        content = this.cache.store(current, this.inflateEntry(current));
        break;
      }
      chain.push(current);
      const base = table.bases[current]!;
      if (base === NO_BASE) {
        content = this.externalContent(current);
        break;
      }
      const baseContent = this.cache.get(base);
      if (baseContent) {
        content = baseContent;
        break;
      }
      current = base;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const entry = chain[i]!;
      const delta = this.inflateEntry(entry);
      const sizes = readDeltaSizes(delta);
      this.countResolved(entry, sizes.resultSize);
      const base = this.cache.wouldOverwrite(content, sizes.resultSize) ? Buffer.from(content) : content;
      content = this.cache.allocate(entry, 0, sizes.resultSize);
      applyDeltaInto(base, delta, sizes, content, 0);
    }
    return content;
  }

  /** Re-reads an entry's compressed data from the spool and inflates it. */
  private inflateEntry(index: number): Buffer {
    const table = this.table;
    const offset = table.offsets[index]!;
    const headerLength = table.headerLengths[index]!;
    const end = index + 1 < table.count ? table.offsets[index + 1]! : this.entriesEnd;
    const size = table.sizes[index]!;
    const compressedLength = end - offset - headerLength;
    const compressed = this.spool.read(offset + headerLength, compressedLength, this.compressedReadBack.atLeast(compressedLength));
    const outcome = this.inflater.inflate(compressed, size);
    if (outcome.kind !== 'done' || outcome.data.length !== size) {
      throw new PackParserError('PACK_ZLIB_ERROR', `object at ${offset} no longer inflates as it did when it arrived`, { offset });
    }
    return outcome.data;
  }

  private externalContent(index: number): Buffer {
    return this.externalBases.content(this.refBaseIds.get(index)!.toString('hex'));
  }

  /**
   * After the stream: resolves the deferred deltas from their whole bases, then the REF_DELTAs whose
   * bases came later in the pack, then those whose bases are outside it (thin packs).
   *
   * Work stays linear in the waiting REF_DELTAs. Every object resolved here hands over those
   * waiting for its id (`adoptWaitingOn`); objects resolved during the stream did not, so one
   * lookup of each waiting id finds those. The ids still waiting after that pass are in no resolved
   * object: each is asked of the base source once, in the order of the first REF_DELTA that named
   * it, unless an object resolved from an earlier external base has that id by then. Both passes
   * iterate the live map, which skips the entries deleted meanwhile.
   *
   * The event loop gets a turn whenever TURN_MS have passed (`takeTurn`), between two
   * objects: the order of the objects and what is kept in memory are the same as without.
   */
  private async resolveWaitingDeltas(): Promise<void> {
    const table = this.table;
    for (let i = 0; i < table.count; i++) {
      if (table.kinds[i]! <= EntryKind.Tag && table.flags[i]! & HAS_DEFERRED) {
        if (this.turnDue()) await this.takeTurn();
        await this.descend(i, this.contentOf(i));
      }
    }
    for (const [idHex, children] of this.waitingOnId) {
      if (this.turnDue()) await this.takeTurn();
      const base = table.findId(Buffer.from(idHex, 'hex'));
      if (base < 0) continue;
      this.waitingOnId.delete(idHex);
      this.adopt(children, base);
      await this.descend(base, this.contentOf(base));
    }
    for (const [idHex, children] of this.waitingOnId) {
      await this.externalBases.fetch(idHex, this.waitingOnId.size - 1);
      this.checkNotClosed();
      this.waitingOnId.delete(idHex);
      for (const child of children) {
        if (this.turnDue()) await this.takeTurn();
        const content = this.storeDelta(child, this.externalBases.typeOf(idHex), this.inflateEntry(child), this.externalBases.content(idHex), 1);
        this.adoptWaitingOn(child);
        if (table.flags[child]! & HAS_DEFERRED) await this.descend(child, content);
      }
    }
    if (this.deferredCount > 0) {
      let first = 0;
      while (first < table.count && !(table.flags[first]! & DEFERRED)) first++;
      throw new PackParserError(
        'PACK_DELTA_CYCLE',
        `${this.deferredCount} deltas, the first at ${table.offsets[first]}, can never be resolved (their bases form a cycle)`,
        { offset: table.offsets[first]! },
      );
    }
  }

  /**
   * Whether TURN_MS have passed since the current `write()` began or the event loop last had a
   * turn. `end()` awaits `takeTurn` only then: awaiting anything, even `undefined`, costs a
   * microtask per object.
   */
  private turnDue(): boolean {
    return performance.now() - this.turnStartedAt >= TURN_MS;
  }

  /** Lets the event loop run other tasks (timers, sockets) before `end()` goes on. */
  private async takeTurn(): Promise<void> {
    await nextTurn();
    this.checkNotClosed();
    this.turnStartedAt = performance.now();
  }

  /** `close()` may come while `end()` waits for its turn or for a thin-pack base. */
  private checkNotClosed(): void {
    if (this.closed) throw new Error('PackDecoder.end: the decoder was closed before end() had resolved every object');
  }

  /** A content that stays valid: one in the cache, which later allocations reuse, is copied out. */
  private keepable(content: Buffer): Buffer {
    return this.cache.holds(content) ? Buffer.from(content) : content;
  }

  /** Makes REF_DELTAs that waited for an id the children of the entry that has it. */
  private adopt(children: number[], base: number): void {
    const table = this.table;
    for (const child of children) {
      this.refBaseIds.delete(child);
      table.bases[child] = base;
      table.linkChild(child, base);
      this.defer(child);
    }
    table.flags[base]! |= HAS_DEFERRED;
  }

  /** After `index` is resolved: REF_DELTAs waiting for its id become its children. */
  private adoptWaitingOn(index: number): void {
    if (this.waitingOnId.size === 0) return;
    const idHex = this.table.id(index).toString('hex');
    const children = this.waitingOnId.get(idHex);
    if (!children) return;
    this.waitingOnId.delete(idHex);
    this.adopt(children, index);
  }

  /**
   * Resolves, depth first, the deferred deltas below `root`. The contents along the current path
   * are kept (copied out of the cache, up to a byte budget; beyond it they are rebuilt when needed),
   * so each is computed once for all its children.
   */
  private async descend(root: number, rootContent: Buffer): Promise<void> {
    const table = this.table;
    table.flags[root]! &= ~HAS_DEFERRED;
    const nodes = [root];
    const contents: (Buffer | undefined)[] = [this.keepable(rootContent)];
    const cursors = [table.firstChild[root]!];
    let keptBytes = rootContent.length;
    while (nodes.length > 0) {
      const top = nodes.length - 1;
      const link = cursors[top]!;
      if (link === 0) {
        keptBytes -= contents[top]?.length ?? 0;
        nodes.pop();
        contents.pop();
        cursors.pop();
        continue;
      }
      const child = link - 1;
      cursors[top] = table.nextSibling[child]!;
      const flags = table.flags[child]!;
      if (!(flags & (DEFERRED | HAS_DEFERRED))) continue;
      if (this.turnDue()) await this.takeTurn();
      const parent = nodes[top]!;
      const parentContent = contents[top] ?? this.contentOf(parent);
      const delta = this.inflateEntry(child);
      let content: Buffer;
      if (flags & DEFERRED) {
        content = this.storeDelta(child, table.types[parent]!, delta, parentContent, table.depths[parent]! + 1);
        table.flags[child]! &= ~DEFERRED;
        this.deferredCount--;
        this.adoptWaitingOn(child);
      } else {
        content = applyDelta(parentContent, delta, this.limits.maxObjectSize);
        this.countResolved(child, content.length);
      }
      if (table.flags[child]! & HAS_DEFERRED) {
        table.flags[child]! &= ~HAS_DEFERRED;
        const keep = keptBytes + content.length <= DESCEND_KEEP_BYTES;
        const kept = keep ? this.keepable(content) : undefined;
        keptBytes += kept?.length ?? 0;
        nodes.push(child);
        contents.push(kept);
        cursors.push(table.firstChild[child]!);
      }
    }
  }
}

/** Decodes a whole pack from a stream or any async iterable of chunks. */
export async function decodePack(
  source: Readable | AsyncIterable<Buffer>,
  options: PackDecoderOptions = {},
): Promise<{ summary: PackSummary; decoder: PackDecoder }> {
  const decoder = new PackDecoder(options);
  try {
    for await (const chunk of source) decoder.write(chunk as Buffer);
    const summary = await decoder.end();
    return { summary, decoder };
  } catch (error) {
    decoder.close();
    throw error;
  }
}
