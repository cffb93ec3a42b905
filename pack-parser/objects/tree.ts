import { PackParserError } from '../errors.js';
import type { HashLength } from './object-id-hex.js';

/** What a tree entry points at, from its mode. */
export type TreeEntryKind = 'blob' | 'executable' | 'symlink' | 'tree' | 'gitlink';

export interface TreeEntry {
  /** The mode as written (`100644`, `40000`, ...). */
  readonly mode: string;
  readonly kind: TreeEntryKind;
  /** The name as bytes (git does not require UTF-8). Shares memory with the tree content. */
  readonly name: Buffer;
  /** The object id in lowercase hex. */
  readonly id: string;
}

export interface TreeParseOptions {
  /**
   * Require git's entry order and no duplicate names (`git fsck`'s treeNotSorted and
   * duplicateEntries errors). Default true; turn off only to read old trees already stored.
   */
  checkOrder?: boolean;
}

const SPACE = 0x20;
const NUL = 0x00;
const SLASH = 0x2f;
const DOT = 0x2e;

/** The modes git writes (100664 is what very old git wrote for group-writable files). */
const KNOWN_MODES = new Map<number, { mode: string; kind: TreeEntryKind }>([
  [0o100644, { mode: '100644', kind: 'blob' }],
  [0o100664, { mode: '100664', kind: 'blob' }],
  [0o100755, { mode: '100755', kind: 'executable' }],
  [0o120000, { mode: '120000', kind: 'symlink' }],
  [0o40000, { mode: '40000', kind: 'tree' }],
  [0o160000, { mode: '160000', kind: 'gitlink' }],
]);

/**
 * Parses a tree object's content (without the `tree <size>\0` header): entries of
 * `<octal mode> SP <name> NUL <binary id>`. Strict: only the modes git writes, names that are not
 * empty, `.`, `..` or contain `/`, and (by default) git's order without duplicates. Malformed
 * input throws `OBJECT_BAD_TREE`.
 */
export function parseTree(content: Buffer, hashLength: HashLength = 20, options: TreeParseOptions = {}): TreeEntry[] {
  const entries: TreeEntry[] = [];
  walkTree(content, hashLength, options.checkOrder !== false, (entryStart, modeEnd, known, nameStart, nameEnd, idEnd) => {
    entries.push({
      mode: modeEnd - entryStart === known.mode.length ? known.mode : content.toString('latin1', entryStart, modeEnd),
      kind: known.kind,
      name: content.subarray(nameStart, nameEnd),
      id: content.toString('hex', nameEnd + 1, idEnd),
    });
  });
  return entries;
}

/**
 * Checks a tree exactly as `parseTree` does (git's order included) without building its entries:
 * for validating many trees cheaply, then reading them raw.
 */
export function checkTree(content: Buffer, hashLength: HashLength = 20): void {
  walkTree(content, hashLength, true, undefined);
}

type EntryVisitor = (entryStart: number, modeEnd: number, known: { mode: string; kind: TreeEntryKind }, nameStart: number, nameEnd: number, idEnd: number) => void;

/** The two modes nearly every entry has, matched as bytes before the general parse. */
const FILE_MODE = KNOWN_MODES.get(0o100644)!;
const TREE_MODE = KNOWN_MODES.get(0o40000)!;
/** `100644 ` as one number, read the same way from the content (bytes 0 to 5, then the space). */
const FILE_MODE_PREFIX = 0x313030363434;

function walkTree(content: Buffer, hashLength: HashLength, checkOrder: boolean, visit: EntryVisitor | undefined): void {
  // The previous entry's name, for the order check; the files a later tree could duplicate.
  let previousStart = -1;
  let previousEnd = -1;
  let previousIsTree = false;
  const candidates = checkOrder ? reusedCandidates.reset() : undefined;
  const length = content.length;
  let position = 0;
  while (position < length) {
    const entryStart = position;
    let known: { mode: string; kind: TreeEntryKind } | undefined;
    if (position + 7 <= length && content[position + 6] === SPACE && content.readUIntBE(position, 6) === FILE_MODE_PREFIX) {
      known = FILE_MODE;
      position += 6;
    } else if (position + 6 <= length && content[position] === 0x34 && content[position + 5] === SPACE && content.readUInt32BE(position + 1) === 0x30303030) {
      known = TREE_MODE;
      position += 5;
    } else {
      let mode = 0;
      while (position < length && content[position] !== SPACE) {
        const digit = content[position]! - 0x30;
        if (digit < 0 || digit > 7 || position - entryStart >= 7) badTree('bad mode', entryStart);
        mode = mode * 8 + digit;
        position++;
      }
      if (position === entryStart || position === length) badTree('bad mode', entryStart);
      known = KNOWN_MODES.get(mode);
      if (known === undefined) return badTree(`unsupported mode ${content.toString('latin1', entryStart, position)}`, entryStart);
    }
    // The name up to its NUL, noting a "/" on the way: one pass over the bytes.
    const nameStart = position + 1;
    let nameEnd = nameStart;
    let slash = false;
    for (;;) {
      if (nameEnd >= length) return badTree('name not terminated by NUL', entryStart);
      const byte = content[nameEnd]!;
      if (byte === NUL) break;
      if (byte === SLASH) slash = true;
      nameEnd++;
    }
    const idEnd = nameEnd + 1 + hashLength;
    if (idEnd > length) badTree('truncated object id', entryStart);
    if (nameEnd === nameStart) badTree('empty name', entryStart);
    if (slash) badTree('name containing "/"', entryStart);
    if (content[nameStart] === DOT && (nameEnd - nameStart === 1 || (nameEnd - nameStart === 2 && content[nameStart + 1] === DOT))) badTree('name "." or ".."', entryStart);
    const isTree = known === TREE_MODE;
    if (candidates !== undefined) {
      if (previousStart >= 0) {
        const order = compareNames(content, previousStart, previousEnd, previousIsTree, nameStart, nameEnd, isTree);
        if (order === 0) badTree('duplicate name', entryStart);
        if (order > 0) badTree('entries not sorted', entryStart);
      }
      if (candidates.next(content, nameStart, nameEnd, isTree)) badTree('duplicate name', entryStart);
    }
    visit?.(entryStart, position, known, nameStart, nameEnd, idEnd);
    previousStart = nameStart;
    previousEnd = nameEnd;
    previousIsTree = isTree;
    position = idEnd;
  }
}

function badTree(problem: string, offset: number): never {
  throw new PackParserError('OBJECT_BAD_TREE', `malformed tree: ${problem} in the entry at offset ${offset}`, { offset });
}

/**
 * Git's tree order (base_name_compare): names compared bytewise, a tree's name as if it ended
 * with "/". Returns 0 for equal names whatever the kinds, as fsck treats both as duplicates.
 */
function compareNames(content: Buffer, aStart: number, aEnd: number, aIsTree: boolean, bStart: number, bEnd: number, bIsTree: boolean): number {
  const aLength = aEnd - aStart;
  const bLength = bEnd - bStart;
  const common = aLength < bLength ? aLength : bLength;
  for (let i = 0; i < common; i++) {
    const difference = content[aStart + i]! - content[bStart + i]!;
    if (difference !== 0) return difference;
  }
  if (aLength === bLength) return 0;
  const a = aLength > common ? content[aStart + common]! : aIsTree ? SLASH : 0;
  const b = bLength > common ? content[bStart + common]! : bIsTree ? SLASH : 0;
  return a - b;
}

/**
 * A file "a" sorts before "a-b" and "a.b", and those before the tree "a" (compared as "a/"): so a
 * file and a tree of the same name need not be neighbours. The files that a later tree could still
 * duplicate are kept as a stack, each name a prefix of the next followed by a byte below "/"; an
 * entry outside that range of a file ends its chances, since every later entry sorts after it.
 * Every name is pushed and popped once, so a tree costs its length, not the entries before it (a
 * look back over them made a crafted 6 MB tree take 7 s).
 */
class FileNameCandidates {
  /** Start and end of each stacked name, interleaved. */
  private stack = new Int32Array(64);
  private size = 0;

  /** Empties the stack, for the next tree. */
  reset(): this {
    this.size = 0;
    return this;
  }

  /** Takes the next entry in order; true when it is a tree named as a file before it. */
  next(content: Buffer, nameStart: number, nameEnd: number, isTree: boolean): boolean {
    let top = this.size;
    const stack = this.stack;
    while (top > 0 && !continues(content, stack[top - 2]!, stack[top - 1]!, nameStart, nameEnd)) top -= 2;
    if (isTree) {
      this.size = top;
      return top > 0 && stack[top - 1]! - stack[top - 2]! === nameEnd - nameStart;
    }
    if (top === stack.length) {
      this.stack = new Int32Array(stack.length * 2);
      this.stack.set(stack);
    }
    this.stack[top] = nameStart;
    this.stack[top + 1] = nameEnd;
    this.size = top + 2;
    return false;
  }
}

/** Reused by every `walkTree` call (reset per tree; the walk is synchronous): one fewer allocation per tree. */
const reusedCandidates = new FileNameCandidates();

/** Whether the name `b` is the name `a`, or `a` followed by a byte that sorts before "/". */
function continues(content: Buffer, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  const length = aEnd - aStart;
  if (bEnd - bStart < length) return false;
  for (let k = 0; k < length; k++) if (content[aStart + k] !== content[bStart + k]) return false;
  return bEnd - bStart === length || content[bStart + length]! < SLASH;
}
