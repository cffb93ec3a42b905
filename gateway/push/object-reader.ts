import { parseCommit, parseTree, type GitCommit, type TreeEntry } from '../../pack-parser/index.js';
import type { GitObjectSource } from '../git/shared-cat-file.js';
import { PushError } from './errors.js';
import { looksBinary, type PushedBlob, type PushedObjects } from './pushed-objects.js';

/** Bytes of upstream trees kept for reuse (the trees a push builds on are read again and again). */
const UPSTREAM_TREE_CACHE_BYTES = 16 * 1024 * 1024;

/** Reads objects for inspection: the pushed ones first, then the upstream repository's. */
export class ObjectReader {
  private readonly upstreamCommits = new Map<string, GitCommit | undefined>();
  /** Raw upstream trees by id, oldest first (Map order), within UPSTREAM_TREE_CACHE_BYTES. */
  private readonly upstreamTrees = new Map<string, Buffer>();
  private upstreamTreeBytes = 0;

  constructor(
    readonly pushed: PushedObjects,
    private readonly upstream: GitObjectSource | undefined,
  ) {}

  /**
   * A commit already at hand (pushed, or read from the upstream before), without a wait; undefined
   * otherwise (then `commit` asks the upstream). The inspection's hot loops take this path first:
   * an `await`, even of a value at hand, costs a promise and a microtask, 30,000 of them per
   * 2,000-commit push.
   */
  knownCommit(id: string): GitCommit | undefined {
    return this.pushed.commits.get(id) ?? this.upstreamCommits.get(id);
  }

  /** A commit, or undefined when neither the push nor the upstream has it. */
  async commit(id: string): Promise<GitCommit | undefined> {
    const pushed = this.pushed.commits.get(id);
    if (pushed !== undefined) return pushed;
    if (this.upstreamCommits.has(id)) return this.upstreamCommits.get(id);
    const object = await this.readUpstream(id);
    const commit = object?.type === 'commit' ? parseCommit(object.content) : undefined;
    this.upstreamCommits.set(id, commit);
    return commit;
  }

  /** A tree's raw content when at hand (pushed, or cached from the upstream), without a wait (see knownCommit). */
  knownTreeContent(id: string): Buffer | undefined {
    return this.pushed.treeContent(id) ?? this.upstreamTrees.get(id);
  }

  /**
   * A tree's raw content. Pushed trees were checked at intake (git's order, no duplicates);
   * trees the upstream already has are as git stored them.
   */
  async treeContent(id: string): Promise<Buffer> {
    const pushed = this.pushed.treeContent(id);
    if (pushed !== undefined) return pushed;
    const cached = this.upstreamTrees.get(id);
    if (cached !== undefined) return cached;
    const object = await this.readUpstream(id);
    if (object?.type !== 'tree') throw new PushError('PUSH_OBJECT_MISSING', `tree ${id} is neither in the push nor in the upstream repository`);
    this.remember(id, object.content);
    return object.content;
  }

  /** A tree's entries, in git's order. */
  async tree(id: string): Promise<TreeEntry[]> {
    return parseTree(await this.treeContent(id), 20, { checkOrder: false });
  }

  /** A pushed blob as `blob` gives it, without a wait (see knownCommit); undefined for any other. */
  pushedBlob(id: string): PushedBlob | undefined {
    const pushed = this.pushed.blobs.get(id);
    return pushed === undefined ? undefined : { size: pushed.size, binary: pushed.binary, content: this.pushed.blobContent(id) };
  }

  /** Size, binary flag and content of a blob; undefined when it cannot be found. */
  async blob(id: string): Promise<PushedBlob | undefined> {
    const pushed = this.pushedBlob(id);
    if (pushed !== undefined) return pushed;
    const object = await this.readUpstream(id);
    if (object?.type !== 'blob') return undefined;
    return { size: object.content.length, content: object.content, binary: looksBinary(object.content) };
  }

  private remember(id: string, content: Buffer): void {
    this.upstreamTrees.set(id, content);
    this.upstreamTreeBytes += content.length;
    for (const [oldest, oldestContent] of this.upstreamTrees) {
      if (this.upstreamTreeBytes <= UPSTREAM_TREE_CACHE_BYTES || oldest === id) break;
      this.upstreamTrees.delete(oldest);
      this.upstreamTreeBytes -= oldestContent.length;
    }
  }

  private async readUpstream(id: string) {
    if (this.upstream === undefined) return undefined;
    try {
      return await this.upstream.read(id);
    } catch (error) {
      throw new PushError('PUSH_UPSTREAM_READ_FAILED', `cannot read ${id} from the upstream repository: ${(error as Error).message}`, { cause: error });
    }
  }
}
