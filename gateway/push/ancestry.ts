import { runGitProcess } from '../git/git-launcher.js';
import type { PushedObjects } from './pushed-objects.js';

/**
 * Upstream commits the pushed history builds on that are asked about, one `git merge-base` each.
 * A push can name any number of them (a chain of merges of distinct upstream commits); past this
 * many the answer is "unknown", which a protected ref refuses (PROTECTED_REF_NOT_PROVEN), rather
 * than one process per commit for as long as the push is.
 */
export const MAX_UPSTREAM_ANCESTRY_CHECKS = 64;

/**
 * Whether `ancestor` is reachable from `descendant`, proved by walking parents: first through the
 * pushed commits, then (for the commits where the push meets existing history) in the upstream
 * repository with `git merge-base --is-ancestor`. Returns null when it cannot be decided.
 */
export async function isAncestor(
  ancestor: string,
  descendant: string,
  pushed: PushedObjects,
  upstreamGitDir: string | undefined,
): Promise<boolean | null> {
  if (ancestor === descendant) return true;
  const seen = new Set<string>([descendant]);
  const queue = [descendant];
  const boundary = new Set<string>();
  while (queue.length > 0) {
    const id = queue.pop()!;
    const commit = pushed.commits.get(id);
    if (commit === undefined) {
      boundary.add(id);
      continue;
    }
    for (const parent of commit.parents) {
      if (parent === ancestor) return true;
      if (!seen.has(parent)) {
        seen.add(parent);
        queue.push(parent);
      }
    }
  }
  if (upstreamGitDir === undefined) return null;
  let unknown = boundary.size > MAX_UPSTREAM_ANCESTRY_CHECKS;
  let checked = 0;
  for (const id of boundary) {
    if (checked++ >= MAX_UPSTREAM_ANCESTRY_CHECKS) break;
    const answer = await mergeBaseIsAncestor(upstreamGitDir, ancestor, id);
    if (answer === true) return true;
    if (answer === null) unknown = true;
  }
  return unknown ? null : false;
}

/** `git merge-base --is-ancestor`: exit 0 yes, 1 no, anything else (missing object) unknown. */
export async function mergeBaseIsAncestor(gitDir: string, ancestor: string, descendant: string): Promise<boolean | null> {
  try {
    const { code } = await runGitProcess(['--git-dir', gitDir, 'merge-base', '--is-ancestor', ancestor, descendant]);
    return code === 0 ? true : code === 1 ? false : null;
  } catch {
    return null;
  }
}

/** The pushed commits reachable from `tip`, newest first (parents after children), at most `limit`. */
export function pushedCommitsFrom(tip: string, pushed: PushedObjects, limit: number): { ids: string[]; truncated: boolean } {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (start: string): void => {
    const stack: [string, boolean][] = [[start, false]];
    while (stack.length > 0) {
      const [id, expanded] = stack.pop()!;
      if (expanded) {
        order.push(id);
        continue;
      }
      if (seen.has(id) || !pushed.commits.has(id)) continue;
      seen.add(id);
      stack.push([id, true]);
      for (const parent of pushed.commits.get(id)!.parents) stack.push([parent, false]);
    }
  };
  visit(tip);
  // `order` is parents first (post-order); newest first is its reverse.
  order.reverse();
  return { ids: order.slice(0, limit), truncated: order.length > limit };
}
