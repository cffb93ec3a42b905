import { PushError } from './errors.js';
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

const SPACE = 0x20;
const SLASH = 0x2f;
const TREE_MODE = 0o40000;
const HASH_LENGTH = 20;
const EMPTY = Buffer.alloc(0);

/**
 * Longest path a diff builds, in characters: Linux's PATH_MAX, so longer paths cannot be checked
 * out anyway. Unbounded, names of a few MiB nested in a small pack made strings past what V8 can
 * hold, and long names repeated under many paths filled the gateway's memory.
 */
export const MAX_PATH_LENGTH = 4096;

/** `prefix` + the entry's name, refused (PUSH_PACK_INVALID) past MAX_PATH_LENGTH. */
function pathOf(prefix: string, entry: TreeCursor): string {
  const nameBytes = entry.nameEnd - entry.nameStart;
  if (prefix.length + nameBytes > MAX_PATH_LENGTH) {
    throw new PushError(
      'PUSH_PACK_INVALID',
      `a path in this push is longer than ${MAX_PATH_LENGTH} characters (under ${JSON.stringify(prefix.slice(0, 60))}${prefix.length > 60 ? '...' : ''}); ` +
        'gitgate refuses paths git cannot check out. Shorten the names',
    );
  }
  return prefix + entry.name();
}

/**
 * Reads the entries of a raw tree in place: a diff compares names and ids where they lie and
 * makes strings only for what changed. Pushed trees were checked at intake (`checkTree`).
 */
class TreeCursor {
  position = 0;
  modeEnd = 0;
  nameStart = 0;
  nameEnd = 0;
  isTree = false;

  constructor(
    readonly content: Buffer,
    private readonly treeId: string | undefined,
  ) {
    this.read();
  }

  get done(): boolean {
    return this.position >= this.content.length;
  }

  next(): void {
    this.position = this.nameEnd + 1 + HASH_LENGTH;
    this.read();
  }

  /** Where the current entry ends (the next one starts). */
  get end(): number {
    return this.nameEnd + 1 + HASH_LENGTH;
  }

  /** The bytes from the current entry on. */
  get remaining(): number {
    return this.content.length - this.position;
  }

  mode(): string {
    return this.content.toString('latin1', this.position, this.modeEnd);
  }

  name(): string {
    return this.content.toString('utf8', this.nameStart, this.nameEnd);
  }

  id(): string {
    return this.content.toString('hex', this.nameEnd + 1, this.nameEnd + 1 + HASH_LENGTH);
  }

  private read(): void {
    const content = this.content;
    if (this.position >= content.length) return;
    let p = this.position;
    let mode = 0;
    while (p < content.length && content[p] !== SPACE) mode = mode * 8 + content[p++]! - 0x30;
    this.modeEnd = p;
    this.nameStart = p + 1;
    this.nameEnd = content.indexOf(0, this.nameStart);
    if (this.nameEnd < 0 || this.nameEnd + 1 + HASH_LENGTH > content.length) {
      throw new PushError('PUSH_PACK_INVALID', `tree ${this.treeId ?? ''} is malformed at offset ${this.position}`);
    }
    this.isTree = mode === TREE_MODE;
  }
}

/**
 * git's tree order (base_name_compare): names bytewise, a tree's name as if it ended with '/'.
 * Both sides of a diff are in this order, so a merge walk meets each name once; a file and a tree
 * of the same name differ (the file first), so a path that turns from file into tree is one
 * deletion and one addition, as in git.
 */
function compareEntries(a: TreeCursor, b: TreeCursor): number {
  const x = a.content;
  const y = b.content;
  const xLength = a.nameEnd - a.nameStart;
  const yLength = b.nameEnd - b.nameStart;
  const common = xLength < yLength ? xLength : yLength;
  for (let k = 0; k < common; k++) {
    const difference = x[a.nameStart + k]! - y[b.nameStart + k]!;
    if (difference !== 0) return difference;
  }
  const xNext = xLength > common ? x[a.nameStart + common]! : a.isTree ? SLASH : 0;
  const yNext = yLength > common ? y[b.nameStart + common]! : b.isTree ? SLASH : 0;
  return xNext - yNext;
}

/** Same id and same mode bytes (the mode is what precedes the name). A byte loop: these are short. */
function sameEntry(a: TreeCursor, b: TreeCursor): boolean {
  const x = a.content;
  const y = b.content;
  const aId = a.nameEnd + 1;
  const bId = b.nameEnd + 1;
  for (let k = 0; k < HASH_LENGTH; k++) if (x[aId + k] !== y[bId + k]) return false;
  const modeLength = a.modeEnd - a.position;
  if (modeLength !== b.modeEnd - b.position) return false;
  for (let k = 0; k < modeLength; k++) if (x[a.position + k] !== y[b.position + k]) return false;
  return true;
}

/**
 * Below this many bytes a plain byte loop finds where two trees part sooner than a binary search
 * of native compares (each call costs about as much as comparing a hundred bytes in the loop).
 */
const NATIVE_SEARCH_MIN_BYTES = 1024;

/** How many leading bytes `x` and `y` share. */
function commonPrefixLength(x: Buffer, y: Buffer): number {
  const length = Math.min(x.length, y.length);
  if (length < NATIVE_SEARCH_MIN_BYTES) {
    let equal = 0;
    while (equal < length && x[equal] === y[equal]) equal++;
    return equal;
  }
  let equal = 0;
  let high = length;
  while (equal < high) {
    const middle = (equal + high + 1) >>> 1;
    if (x.compare(y, equal, middle, equal, middle) === 0) equal = middle;
    else high = middle - 1;
  }
  return equal;
}

/** How many trailing bytes `x` and `y` share. */
function commonSuffixLength(x: Buffer, y: Buffer): number {
  const length = Math.min(x.length, y.length);
  if (length < NATIVE_SEARCH_MIN_BYTES) {
    let equal = 0;
    while (equal < length && x[x.length - 1 - equal] === y[y.length - 1 - equal]) equal++;
    return equal;
  }
  let equal = 0;
  let high = length;
  while (equal < high) {
    const middle = (equal + high + 1) >>> 1;
    if (x.compare(y, y.length - middle, y.length - equal, x.length - middle, x.length - equal) === 0) equal = middle;
    else high = middle - 1;
  }
  return equal;
}

/**
 * The changes from `oldTree` (undefined: the empty tree) to `newTree`, in git's order. Subtrees
 * with equal ids are skipped, so only what changed is read. Stops collecting past `limit` changes
 * (`truncated`).
 */
export async function diffTrees(
  reader: ObjectReader,
  oldTree: string | undefined,
  newTree: string,
  limit: number,
  /** Asked before each subtree: lets a long diff give the event loop turns (a PushInspection). */
  turns?: { turnDue(): boolean; pause(): Promise<void> },
): Promise<{ changes: TreeChange[]; truncated: boolean }> {
  const changes: TreeChange[] = [];
  let truncated = false;
  const add = (path: string, status: TreeChange['status'], entry: TreeCursor, oldId: string | undefined): void => {
    if (changes.length >= limit) truncated = true;
    else changes.push({ path, status, mode: entry.mode(), id: entry.id(), oldId });
  };
  const walk = async (oldId: string | undefined, newId: string | undefined, prefix: string): Promise<void> => {
    if (oldId === newId || truncated) return;
    if (turns?.turnDue() === true) await turns.pause();
    const a = new TreeCursor(oldId === undefined ? EMPTY : (reader.knownTreeContent(oldId) ?? (await reader.treeContent(oldId))), oldId);
    const b = new TreeCursor(newId === undefined ? EMPTY : (reader.knownTreeContent(newId) ?? (await reader.treeContent(newId))), newId);
    // A commit usually changes a few entries of a large tree. Entries that lie wholly in the bytes
    // both trees start with are the same entries; once both cursors have as many bytes left as
    // both trees end with, the rest is the same too. Neither is compared entry by entry.
    const samePrefix = commonPrefixLength(a.content, b.content);
    while (!b.done && b.end <= samePrefix) {
      a.next();
      b.next();
    }
    const sameSuffix = commonSuffixLength(a.content, b.content);
    while ((!a.done || !b.done) && !truncated) {
      if (a.remaining === b.remaining && b.remaining <= sameSuffix) break;
      const order = a.done ? 1 : b.done ? -1 : compareEntries(a, b);
      if (order === 0) {
        if (!sameEntry(a, b)) {
          const path = pathOf(prefix, b);
          if (b.isTree) await walk(a.id(), b.id(), `${path}/`);
          else add(path, 'modified', b, a.id());
        }
        a.next();
        b.next();
      } else if (order < 0) {
        const path = pathOf(prefix, a);
        if (a.isTree) await walk(a.id(), undefined, `${path}/`);
        else add(path, 'deleted', a, undefined);
        a.next();
      } else {
        const path = pathOf(prefix, b);
        if (b.isTree) await walk(undefined, b.id(), `${path}/`);
        else add(path, 'added', b, undefined);
        b.next();
      }
    }
  };
  await walk(oldTree, newTree, '');
  return { changes, truncated };
}
