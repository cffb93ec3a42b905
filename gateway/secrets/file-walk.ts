import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Regular files under `root` (or `root` itself), sorted; `.git` directories skipped, symlinks not followed. */
export async function* walkFiles(root: string): AsyncGenerator<string> {
  const stat = await lstat(root);
  if (stat.isFile()) {
    yield root;
    return;
  }
  if (!stat.isDirectory()) return;
  const entries = (await readdir(root, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== '.git') yield* walkFiles(path);
    } else if (entry.isFile()) {
      yield path;
    }
  }
}
