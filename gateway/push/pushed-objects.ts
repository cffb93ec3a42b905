import { parseCommit, parseTag, type DecodedObject, type GitCommit, type GitTag, type ObjectType } from '../../pack-parser/index.js';
import { PushError } from './errors.js';

/** Blobs larger than this are recorded by size only: the secret scanner skips them anyway. */
export const DEFAULT_MAX_KEPT_BLOB_BYTES = 1024 * 1024;
/** Content kept for inspection across the whole push (trees, commits, small blobs). */
export const DEFAULT_MAX_KEPT_BYTES = 128 * 1024 * 1024;

export interface PushedBlob {
  size: number;
  /** Undefined when the blob was too large to keep. */
  content: Buffer | undefined;
  /** A NUL byte in the first 8000 bytes, as git decides (known also for blobs not kept). */
  binary: boolean;
}

/** git's own test (`buffer_is_binary`): a NUL byte in the first 8000 bytes. */
export function looksBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

/**
 * The objects of one push, as the decoder reports them: commits and tags parsed, trees kept raw,
 * blobs kept up to a size. Content is copied (the decoder reuses its buffers).
 */
export class PushedObjects {
  readonly commits = new Map<string, GitCommit>();
  readonly tags = new Map<string, GitTag>();
  readonly trees = new Map<string, Buffer>();
  readonly blobs = new Map<string, PushedBlob>();
  private keptBytes = 0;
  count = 0;

  constructor(
    private readonly maxKeptBlobBytes = DEFAULT_MAX_KEPT_BLOB_BYTES,
    private readonly maxKeptBytes = DEFAULT_MAX_KEPT_BYTES,
  ) {}

  add(object: DecodedObject): void {
    this.count++;
    switch (object.type) {
      case 'commit':
        this.commits.set(object.id, this.parse(object, parseCommit));
        break;
      case 'tag':
        this.tags.set(object.id, this.parse(object, parseTag));
        break;
      case 'tree':
        this.trees.set(object.id, this.keep(object.content, object.id));
        break;
      case 'blob': {
        // Blobs up to the scanner's size limit must be kept: one that cannot be would go unscanned,
        // so `keep` refuses the push when the budget is spent (fail closed).
        const keep = object.size <= this.maxKeptBlobBytes;
        this.blobs.set(object.id, { size: object.size, content: keep ? this.keep(object.content, object.id) : undefined, binary: looksBinary(object.content) });
        break;
      }
    }
  }

  typeOf(id: string): ObjectType | undefined {
    if (this.commits.has(id)) return 'commit';
    if (this.trees.has(id)) return 'tree';
    if (this.blobs.has(id)) return 'blob';
    if (this.tags.has(id)) return 'tag';
    return undefined;
  }

  private keep(content: Buffer, id: string): Buffer {
    this.keptBytes += content.length;
    if (this.keptBytes > this.maxKeptBytes) {
      throw new PushError('PUSH_TOO_LARGE', `the push holds more than ${this.maxKeptBytes >> 20} MiB of commits, trees and files to inspect (at object ${id}); push it in smaller parts`);
    }
    return Buffer.from(content);
  }

  private parse<T>(object: DecodedObject, parse: (content: Buffer) => T): T {
    try {
      return parse(object.content);
    } catch (error) {
      throw new PushError('PUSH_PACK_INVALID', `${object.type} ${object.id} in the pack is malformed: ${(error as Error).message}`, { cause: error });
    }
  }
}
