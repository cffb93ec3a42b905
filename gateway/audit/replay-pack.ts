import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditPackStore, StoredPack } from './pack-store.js';
import { runGit } from './run-git.js';

export interface ReplayPackInput {
  packs: AuditPackStore;
  /** The pushed pack as kept (sha256), when the push had one. */
  pushedPack: string | undefined;
  /** A repository holding the upstream's objects (file upstream or mirror): thin bases and context. */
  objectStoreGitDir: string;
  /** Commit ids of the push (from the decoded pack); undefined: the commits among the pushed pack's objects. */
  pushedCommits: readonly string[] | undefined;
  /** The new tips of the ref updates (present in the push or already upstream). */
  tips: readonly string[];
}

const ZERO_ID = /^0+$/;

/** The commits among `ids` (objects of the scratch repository or its alternate). */
async function commitsAmong(ids: readonly string[], gitDir: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const types = await runGit([...gitDir, 'cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: `${ids.join('\n')}\n` });
  return types
    .toString()
    .split('\n')
    .filter((line) => line.endsWith(' commit'))
    .map((line) => line.slice(0, line.indexOf(' ')));
}

/**
 * A self-contained pack (with its idx) for rebuilding a push later: the pushed objects with the
 * thin pack's bases filled in, plus what `git log` and `git show` of the pushed commits need from
 * before the push: the parent commits, their root trees, and the old side of every changed path.
 * Built in a scratch repository that borrows the upstream's objects (alternates); nothing upstream
 * is touched.
 */
export async function buildReplayPack(input: ReplayPackInput): Promise<StoredPack> {
  const scratch = await mkdtemp(join(tmpdir(), 'gitgate-replay-'));
  try {
    await runGit(['init', '--bare', '-q', scratch]);
    await writeFile(join(scratch, 'objects', 'info', 'alternates'), `${join(input.objectStoreGitDir, 'objects')}\n`);
    const gitDir = ['--git-dir', scratch];
    const ids = new Set<string>(input.tips.filter((id) => !ZERO_ID.test(id)));
    const packIds: string[] = [];
    if (input.pushedPack !== undefined) {
      await runGit([...gitDir, 'index-pack', '--stdin', '--fix-thin'], { inputFile: input.packs.packPath(input.pushedPack) });
      const packDir = join(scratch, 'objects', 'pack');
      for (const name of (await readdir(packDir)).filter((n) => n.endsWith('.idx'))) {
        const listing = await runGit(['show-index'], { inputFile: join(packDir, name) });
        for (const line of listing.toString().split('\n')) {
          const id = line.split(' ')[1];
          if (id !== undefined && id.length >= 40) packIds.push(id);
        }
      }
    }
    for (const id of packIds) ids.add(id);
    const pushedCommits = input.pushedCommits ?? (await commitsAmong(packIds, gitDir));
    if (pushedCommits.length > 0) {
      const pushed = new Set(pushedCommits);
      const parents = await runGit([...gitDir, 'rev-list', '--no-walk', '--parents', '--stdin'], { input: `${pushedCommits.join('\n')}\n` });
      const outside = new Set<string>();
      for (const line of parents.toString().split('\n')) for (const parent of line.split(' ').slice(1)) if (parent && !pushed.has(parent)) outside.add(parent);
      for (const parent of outside) ids.add(parent);
      if (outside.size > 0) {
        const trees = await runGit([...gitDir, 'cat-file', '--batch-check=%(objectname)'], { input: [...outside].map((p) => `${p}^{tree}\n`).join('') });
        for (const id of trees.toString().split('\n')) if (/^[0-9a-f]{40,64}$/.test(id)) ids.add(id);
      }
      // The old side of each changed path (trees and blobs) of every pushed commit against its parents.
      const diffs = await runGit([...gitDir, 'diff-tree', '--stdin', '-r', '-t', '-m', '--raw', '--no-commit-id', '--no-renames'], { input: `${pushedCommits.join('\n')}\n` });
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
