import type { TreeEntry } from '../../pack-parser/index.js';
import type { ObjectReader } from './object-reader.js';

/** One path that differs between two trees (blobs, symlinks and submodules; trees are walked). */
export interface TreeChange {
  path: string;
  status: 'added' | 'modified' | 'deleted';
  mode: string;
  /** The new blob, or the old one for a deletion. */
  id: string;
  /** The old blob for a modification. */
  oldId: string | undefined;
}

function byName(entries: TreeEntry[]): Map<string, TreeEntry> {
  return new Map(entries.map((e) => [e.name.toString('utf8'), e]));
}

/**
 * The changes from `oldTree` (undefined: the empty tree) to `newTree`. Subtrees with equal ids are
 * skipped, so only what changed is read. Stops collecting past `limit` changes (`truncated`).
 */
export async function diffTrees(
  reader: ObjectReader,
  oldTree: string | undefined,
  newTree: string,
  limit: number,
): Promise<{ changes: TreeChange[]; truncated: boolean }> {
  const changes: TreeChange[] = [];
  let truncated = false;
  const add = (change: TreeChange): boolean => {
    if (changes.length >= limit) {
      truncated = true;
      return false;
    }
    changes.push(change);
    return true;
  };
  const walk = async (oldId: string | undefined, newId: string | undefined, prefix: string): Promise<void> => {
    if (oldId === newId || truncated) return;
    const before = oldId === undefined ? new Map<string, TreeEntry>() : byName(await reader.tree(oldId));
    const after = newId === undefined ? new Map<string, TreeEntry>() : byName(await reader.tree(newId));
    const names = [...new Set([...before.keys(), ...after.keys()])].sort();
    for (const name of names) {
      if (truncated) return;
      const a = before.get(name);
      const b = after.get(name);
      const path = prefix + name;
      if (a !== undefined && b !== undefined && a.id === b.id && a.mode === b.mode) continue;
      const aTree = a?.kind === 'tree' ? a : undefined;
      const bTree = b?.kind === 'tree' ? b : undefined;
      if (aTree !== undefined || bTree !== undefined) await walk(aTree?.id, bTree?.id, `${path}/`);
      const aFile = a !== undefined && a.kind !== 'tree' ? a : undefined;
      const bFile = b !== undefined && b.kind !== 'tree' ? b : undefined;
      if (aFile !== undefined && bFile !== undefined) add({ path, status: 'modified', mode: bFile.mode, id: bFile.id, oldId: aFile.id });
      else if (bFile !== undefined) add({ path, status: 'added', mode: bFile.mode, id: bFile.id, oldId: undefined });
      else if (aFile !== undefined) add({ path, status: 'deleted', mode: aFile.mode, id: aFile.id, oldId: undefined });
    }
  };
  await walk(oldTree, newTree, '');
  return { changes, truncated };
}
