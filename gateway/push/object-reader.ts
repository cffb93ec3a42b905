import { parseCommit, parseTree, type GitCommit, type TreeEntry } from '../../pack-parser/index.js';
import type { CatFileObjectSource } from '../git/cat-file-object-source.js';
import { PushError } from './errors.js';
import { looksBinary, type PushedBlob, type PushedObjects } from './pushed-objects.js';

/** Reads objects for inspection: the pushed ones first, then the upstream repository's. */
export class ObjectReader {
  private readonly upstreamCommits = new Map<string, GitCommit | undefined>();

  constructor(
    readonly pushed: PushedObjects,
    private readonly upstream: CatFileObjectSource | undefined,
  ) {}

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

  async tree(id: string): Promise<TreeEntry[]> {
    const pushed = this.pushed.trees.get(id);
    if (pushed !== undefined) return parseTree(pushed);
    const object = await this.readUpstream(id);
    if (object?.type !== 'tree') throw new PushError('PUSH_OBJECT_MISSING', `tree ${id} is neither in the push nor in the upstream repository`);
    return parseTree(object.content, 20, { checkOrder: false });
  }

  /** Size and (when kept) content of a blob; undefined when it cannot be found. */
  async blob(id: string): Promise<PushedBlob | undefined> {
    const pushed = this.pushed.blobs.get(id);
    if (pushed !== undefined) return pushed;
    const object = await this.readUpstream(id);
    return object?.type === 'blob' ? { size: object.content.length, content: object.content, binary: looksBinary(object.content) } : undefined;
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
