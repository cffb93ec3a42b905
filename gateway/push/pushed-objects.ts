import { checkTree, isPackParserError, parseCommit, parseTag, type DecodedObject, type GitCommit, type GitTag, type ObjectType } from '../../pack-parser/index.js';
import { PushError, pushErrorCodeFor } from './errors.js';

/**
 * Blobs up to this size, text or binary, are kept in memory (within DEFAULT_MAX_KEPT_BYTES) for
 * the secret scanner; larger ones are read back from the spooled pack when it scans them, in slices.
 */
export const DEFAULT_MAX_KEPT_BLOB_BYTES = 1024 * 1024;
/**
 * Content kept in memory across the whole push (trees and the blobs the scanner reads).
 * Beyond it, objects are read back from the spooled pack when the inspection needs them: slower,
 * but memory stays bounded whatever the push holds.
 */
export const DEFAULT_MAX_KEPT_BYTES = 16 * 1024 * 1024;
/**
 * The largest commit or tag object a push may carry. git sets no limit, and real ones take a few
 * kB (a long merge message or an embedded signed tag some more); a larger one could only be made
 * to fill the gateway's memory and the policy input with its message.
 */
export const DEFAULT_MAX_COMMIT_BYTES = 1024 * 1024;
/**
 * Commit and tag objects one push may carry in all. They are kept parsed (the ancestry walk and
 * the policy input need every one), so this bounds their memory: about 150,000 ordinary commits.
 */
export const DEFAULT_MAX_COMMIT_TOTAL_BYTES = 64 * 1024 * 1024;

export interface PushedObjectLimits {
  /** Blobs up to this size are kept in memory for the scanner (default DEFAULT_MAX_KEPT_BLOB_BYTES). */
  maxKeptBlobBytes?: number;
  /** Trees and blobs kept in memory in all; the rest is read back (default DEFAULT_MAX_KEPT_BYTES). */
  maxKeptBytes?: number;
  /** A larger commit or tag refuses the push (default DEFAULT_MAX_COMMIT_BYTES). */
  maxCommitBytes?: number;
  /** More commit and tag bytes in all refuse the push (default DEFAULT_MAX_COMMIT_TOTAL_BYTES). */
  maxCommitTotalBytes?: number;
}

export interface PushedBlob {
  size: number;
  /**
   * Undefined when the blob is not kept in memory: larger than the kept size or beyond the memory
   * budget (then `blobContent` reads it back from the pack).
   */
  content: Buffer | undefined;
  /** A NUL byte in the first 8000 bytes, as git decides (known also for blobs not kept). */
  binary: boolean;
}

/** Bytes of one slab of `CopySlabs`. */
const SLAB_BYTES = 1024 * 1024;

/**
 * Copies carved out of 1 MiB slabs, for the many small trees and blobs one push keeps until it is
 * decided: one allocation per MiB instead of one per object (a 2,000-commit push keeps about
 * 6,000, and each separate buffer is external memory the garbage collector has to account for).
 * A copy of more than a quarter slab gets a buffer of its own, so a slab wastes at most a quarter.
 */
class CopySlabs {
  private slab: Buffer | undefined;
  private used = 0;

  /** Lets the current slab go (the copies handed out keep theirs). */
  release(): void {
    this.slab = undefined;
  }

  copy(content: Buffer): Buffer {
    const length = content.length;
    if (length > SLAB_BYTES >>> 2) return Buffer.from(content);
    if (this.slab === undefined || this.used + length > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.used = 0;
    }
    const start = this.used;
    content.copy(this.slab, start);
    this.used += length;
    return this.slab.subarray(start, start + length);
  }
}

/** git's own test (`buffer_is_binary`): a NUL byte in the first 8000 bytes. */
export function looksBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

/** Reads an object back from the decoded pack (PackDecoder.readObject), once the pack is verified. */
export type PackObjectReader = (id: string) => { type: ObjectType; content: Buffer } | undefined;

/**
 * The objects of one push, as the decoder reports them: commits and tags parsed, trees kept raw,
 * blobs up to a size kept, all within a memory budget; larger blobs and what is beyond the
 * budget are read back from the pack. Content is copied (the decoder reuses its buffers).
 */
export class PushedObjects {
  readonly commits = new Map<string, GitCommit>();
  readonly tags = new Map<string, GitTag>();
  /** Raw tree content; undefined when it was beyond the budget (read it with `treeContent`). */
  readonly trees = new Map<string, Buffer | undefined>();
  readonly blobs = new Map<string, PushedBlob>();
  private keptBytes = 0;
  private readonly keptCopies = new CopySlabs();
  private commitBytes = 0;
  private packReader: PackObjectReader | undefined;
  private readonly maxKeptBlobBytes: number;
  private readonly maxKeptBytes: number;
  private readonly maxCommitBytes: number;
  private readonly maxCommitTotalBytes: number;
  count = 0;

  constructor(limits: PushedObjectLimits = {}) {
    this.maxKeptBlobBytes = limits.maxKeptBlobBytes ?? DEFAULT_MAX_KEPT_BLOB_BYTES;
    this.maxKeptBytes = limits.maxKeptBytes ?? DEFAULT_MAX_KEPT_BYTES;
    this.maxCommitBytes = limits.maxCommitBytes ?? DEFAULT_MAX_COMMIT_BYTES;
    this.maxCommitTotalBytes = limits.maxCommitTotalBytes ?? DEFAULT_MAX_COMMIT_TOTAL_BYTES;
  }

  add(object: DecodedObject): void {
    this.count++;
    switch (object.type) {
      case 'commit':
        this.countCommitBytes(object);
        this.commits.set(object.id, this.parse(object, parseCommit));
        break;
      case 'tag':
        this.countCommitBytes(object);
        this.tags.set(object.id, this.parse(object, parseTag));
        break;
      case 'tree':
        // Checked once here (git's order, no duplicates), then read raw by the tree diff.
        this.parse(object, checkTree);
        this.trees.set(object.id, this.keep(object.content));
        break;
      case 'blob': {
        // The secret scanner reads every blob, text and binary: small ones are kept, the rest read back.
        const kept = object.size <= this.maxKeptBlobBytes;
        this.blobs.set(object.id, { size: object.size, content: kept ? this.keep(object.content) : undefined, binary: looksBinary(object.content) });
        break;
      }
    }
  }

  /**
   * Forgets every object once the push is answered. A closure V8 keeps in a call site's feedback
   * (the decoder's `onObject`, the pack reader) can hold on to this object until the next push
   * goes through the same code: it then holds nothing.
   */
  release(): void {
    this.commits.clear();
    this.tags.clear();
    this.trees.clear();
    this.blobs.clear();
    this.keptCopies.release();
    this.packReader = undefined;
  }

  /** After the pack is verified: where objects beyond the budget are read back from. */
  attachPack(reader: PackObjectReader): void {
    this.packReader = reader;
  }

  /** A pushed tree's raw content, or undefined when the push has no such tree. */
  treeContent(id: string): Buffer | undefined {
    const kept = this.trees.get(id);
    if (kept !== undefined || !this.trees.has(id)) return kept;
    return this.readBack(id, 'tree');
  }

  /** A pushed blob's content (kept, or read back from the pack); undefined when the push has no such blob. */
  blobContent(id: string): Buffer | undefined {
    const blob = this.blobs.get(id);
    if (blob === undefined) return undefined;
    return blob.content ?? this.readBack(id, 'blob');
  }

  typeOf(id: string): ObjectType | undefined {
    if (this.commits.has(id)) return 'commit';
    if (this.trees.has(id)) return 'tree';
    if (this.blobs.has(id)) return 'blob';
    if (this.tags.has(id)) return 'tag';
    return undefined;
  }

  private readBack(id: string, type: ObjectType): Buffer {
    let object: ReturnType<PackObjectReader>;
    try {
      object = this.packReader?.(id);
    } catch (error) {
      if (!isPackParserError(error)) throw error;
      throw new PushError(pushErrorCodeFor(error.code), `reading ${type} ${id} back from the pushed pack: ${error.message} (${error.code})`, { cause: error });
    }
    // Fail closed: an object that cannot be read would go uninspected.
    if (object?.type !== type) throw new PushError('PUSH_OBJECT_MISSING', `${type} ${id} of the push cannot be read back from the pack`);
    return object.content;
  }

  /** A copy within the budget, else undefined (read back from the pack when needed). */
  private keep(content: Buffer): Buffer | undefined {
    if (this.keptBytes + content.length > this.maxKeptBytes) return undefined;
    this.keptBytes += content.length;
    return this.keptCopies.copy(content);
  }

  /** Commits and tags are kept whole, so their sizes are bounded, one by one and in all. */
  private countCommitBytes(object: DecodedObject): void {
    if (object.size > this.maxCommitBytes) {
      throw new PushError(
        'PUSH_TOO_LARGE',
        `${object.type} ${object.id} is ${object.size} bytes; gitgate accepts commits and tags up to ${this.maxCommitBytes} bytes. ` +
          'Shorten its message (git commit --amend) and push again',
      );
    }
    this.commitBytes += object.size;
    if (this.commitBytes > this.maxCommitTotalBytes) {
      throw new PushError(
        'PUSH_TOO_LARGE',
        `this push carries more than ${this.maxCommitTotalBytes} bytes of commits and tags, more than gitgate inspects at once. ` +
          'Push the history in parts (for example git push origin <older commit>:<branch>, then the rest)',
      );
    }
  }

  private parse<T>(object: DecodedObject, parse: (content: Buffer) => T): T {
    // Malformed objects refuse the push: what cannot be read cannot be inspected.
    try {
      return parse(object.content);
    } catch (error) {
      throw new PushError('PUSH_PACK_INVALID', `${object.type} ${object.id} in the pack is malformed: ${(error as Error).message}`, { cause: error });
    }
  }
}
