import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idxV2ObjectIds } from '../../pack-parser/index.js';
import { leaseCatFile } from '../git/shared-cat-file.js';
import type { AuditPackStore, StoredPack } from './pack-store.js';
import { runGit } from './run-git.js';

/** A pushed commit and its parents, as the push's decoder read them. */
export interface PushedCommitParents {
  id: string;
  parents: readonly string[];
}

export interface ReplayPackInput {
  packs: AuditPackStore;
  /** The pushed pack as kept (sha256), when the push had one. */
  pushedPack: string | undefined;
  /** A repository holding the upstream's objects (file upstream or mirror): thin bases and context. */
  objectStoreGitDir: string;
  /**
   * The push's commits with their parents (from the decoded pack); undefined: the commits among the
   * pushed pack's objects, with their parents, as git reads them.
   */
  pushedCommits: readonly PushedCommitParents[] | undefined;
  /** The new tips of the ref updates (present in the push or already upstream). */
  tips: readonly string[];
}

const ZERO_ID = /^0+$/;

/** The commits among `ids` (objects of the scratch repository or its alternate), with their parents. */
async function commitsAmong(ids: readonly string[], gitDir: readonly string[]): Promise<PushedCommitParents[]> {
  if (ids.length === 0) return [];
  const types = await runGit([...gitDir, 'cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: `${ids.join('\n')}\n` });
  const commits = types
    .toString()
    .split('\n')
    .filter((line) => line.endsWith(' commit'))
    .map((line) => line.slice(0, line.indexOf(' ')));
  if (commits.length === 0) return [];
  const listing = await runGit([...gitDir, 'rev-list', '--no-walk', '--parents', '--stdin'], { input: `${commits.join('\n')}\n` });
  return listing
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, ...parents] = line.split(' ');
      return { id: id!, parents };
    });
}

/**
 * A bare repository to build in, borrowing the upstream's objects: what `git init --bare` makes
 * that git needs (HEAD, objects, refs, the core settings), written here: one git run fewer per push.
 */
async function scratchRepository(objectStoreGitDir: string): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), 'gitgate-replay-'));
  await mkdir(join(scratch, 'objects', 'pack'), { recursive: true });
  await mkdir(join(scratch, 'objects', 'info'));
  await mkdir(join(scratch, 'refs', 'heads'), { recursive: true });
  await mkdir(join(scratch, 'refs', 'tags'));
  await writeFile(join(scratch, 'HEAD'), 'ref: refs/heads/main\n');
  await writeFile(join(scratch, 'config'), '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n');
  await writeFile(join(scratch, 'objects', 'info', 'alternates'), `${join(objectStoreGitDir, 'objects')}\n`);
  return scratch;
}

/** The root trees of `commits`, read from the object store (a commit's first line names its tree); a missing commit has none. */
async function rootTreesOf(commits: Iterable<string>, objectStoreGitDir: string): Promise<string[]> {
  const source = leaseCatFile(objectStoreGitDir);
  try {
    const trees: string[] = [];
    for (const id of commits) {
      const object = await source.read(id);
      const tree = object?.type === 'commit' ? /^tree ([0-9a-f]{40,64})\n/.exec(object.content.toString('latin1', 0, 80)) : null;
      if (tree !== null) trees.push(tree[1]!);
    }
    return trees;
  } finally {
    source.close();
  }
}

/**
 * A self-contained pack (with its idx) for rebuilding a push later: the pushed objects with the
 * thin pack's bases filled in, plus what `git log` and `git show` of the pushed commits need from
 * before the push: the parent commits, their root trees, and the old side of every changed path.
 * Built in a scratch repository that borrows the upstream's objects (alternates); nothing upstream
 * is touched.
 */
export async function buildReplayPack(input: ReplayPackInput): Promise<StoredPack> {
  const scratch = await scratchRepository(input.objectStoreGitDir);
  try {
    const gitDir = ['--git-dir', scratch];
    const ids = new Set<string>(input.tips.filter((id) => !ZERO_ID.test(id)));
    const packIds: string[] = [];
    if (input.pushedPack !== undefined) {
      const indexed = (await runGit([...gitDir, 'index-pack', '--stdin', '--fix-thin'], { inputFile: input.packs.packPath(input.pushedPack) })).toString();
      const name = /^(?:pack|keep)\t([0-9a-f]{40,64})$/m.exec(indexed)?.[1];
      if (name === undefined) throw new Error(`git index-pack named no pack: ${indexed.slice(0, 200)}`);
      const idx = await readFile(join(scratch, 'objects', 'pack', `pack-${name}.idx`));
      packIds.push(...idxV2ObjectIds(idx, name.length === 64 ? 32 : 20));
    }
    for (const id of packIds) ids.add(id);
    const pushedCommits = input.pushedCommits ?? (await commitsAmong(packIds, gitDir));
    if (pushedCommits.length > 0) {
      const pushed = new Set(pushedCommits.map((commit) => commit.id));
      const outside = new Set<string>();
      for (const commit of pushedCommits) for (const parent of commit.parents) if (!pushed.has(parent)) outside.add(parent);
      for (const parent of outside) ids.add(parent);
      for (const tree of await rootTreesOf(outside, input.objectStoreGitDir)) ids.add(tree);
      // The old side of each changed path (trees and blobs) of every pushed commit against its parents.
      const diffs = await runGit([...gitDir, 'diff-tree', '--stdin', '-r', '-t', '-m', '--raw', '--no-commit-id', '--no-renames'], { input: `${[...pushed].join('\n')}\n` });
      for (const line of diffs.toString().split('\n')) {
        if (!line.startsWith(':')) continue;
        const [oldMode, , oldId] = line.slice(1).split(' ');
        // A gitlink's id is a commit of another repository: not an object here.
        if (oldId !== undefined && oldMode !== '160000' && !ZERO_ID.test(oldId)) ids.add(oldId);
      }
    }
    const base = join(scratch, 'replay');
    const name = (await runGit([...gitDir, 'pack-objects', '-q', base], { input: `${[...ids].join('\n')}\n` })).toString().trim();
    return await input.packs.putFile(`${base}-${name}.pack`, `${base}-${name}.idx`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
