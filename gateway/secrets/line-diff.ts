/**
 * Which lines of a new text are added relative to an old one: Myers' O(ND) diff on lines, after
 * trimming the common head and tail. When the edit distance exceeds a bound (huge rewrites), it
 * falls back to a linear multiset rule: a new line is added when the old text does not have that
 * many copies of it. Both answers never call an unchanged line "added".
 */

/** Offsets `[start, end)` of every line (the end includes its newline). */
export function lineOffsets(content: Uint8Array): Int32Array {
  const starts: number[] = [0];
  for (let i = 0; i < content.length; i++) if (content[i] === 10 && i + 1 < content.length) starts.push(i + 1);
  if (content.length === 0) return new Int32Array([0, 0]);
  starts.push(content.length);
  return Int32Array.from(starts);
}

function lineIds(content: Uint8Array, offsets: Int32Array, ids: Map<string, number>): Int32Array {
  const buffer = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const out = new Int32Array(offsets.length - 1);
  for (let i = 0; i < out.length; i++) {
    let end = offsets[i + 1]!;
    if (end > offsets[i]! && buffer[end - 1] === 10) end--;
    if (end > offsets[i]! && buffer[end - 1] === 13) end--;
    const text = buffer.toString('latin1', offsets[i]!, end);
    let id = ids.get(text);
    if (id === undefined) ids.set(text, (id = ids.size));
    out[i] = id;
  }
  return out;
}

const DEFAULT_MAX_EDIT_DISTANCE = 1000;

/** 0-based indices of the added lines of `b` relative to `a` (line ids). */
export function addedLineIndices(a: Int32Array, b: Int32Array, maxEditDistance = DEFAULT_MAX_EDIT_DISTANCE): number[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const oldMiddle = a.subarray(head, a.length - tail);
  const newMiddle = b.subarray(head, b.length - tail);
  if (newMiddle.length === 0) return [];
  if (oldMiddle.length === 0) return Array.from({ length: newMiddle.length }, (_, i) => head + i);
  const added = myersAdded(oldMiddle, newMiddle, maxEditDistance) ?? multisetAdded(oldMiddle, newMiddle);
  return added.map((i) => head + i);
}

function multisetAdded(a: Int32Array, b: Int32Array): number[] {
  const available = new Map<number, number>();
  for (const id of a) available.set(id, (available.get(id) ?? 0) + 1);
  const added: number[] = [];
  b.forEach((id, i) => {
    const left = available.get(id) ?? 0;
    if (left > 0) available.set(id, left - 1);
    else added.push(i);
  });
  return added;
}

/** Myers' shortest edit script as the indices of the added lines of `b`; undefined past `maxD` edits. */
function myersAdded(a: Int32Array, b: Int32Array, maxD: number): number[] | undefined {
  const added: number[] = [];
  const complete = walkEditScript(a, b, maxD, (kind, _oldIndex, newIndex) => {
    if (kind === 'added') added.push(newIndex);
  });
  return complete ? added.reverse() : undefined;
}

/** One step of an edit script: a line of both texts, of the new text only, or of the old only. */
export type EditKind = 'kept' | 'added' | 'removed';

/**
 * Myers' greedy O(ND) shortest edit script between two sequences of line ids. `step` receives the
 * script backwards, from the last line to the first, with the 0-based index of the line in the
 * old sequence (`kept`, `removed`) and in the new one (`kept`, `added`; for the other kinds the
 * index where the walk stands). Returns false, having called nothing, when the texts differ by
 * more than `maxEdits` lines: a huge rewrite costs bounded time and memory (O(maxEdits²)).
 */
export function walkEditScript(a: Int32Array, b: Int32Array, maxEdits: number, step: (kind: EditKind, oldIndex: number, newIndex: number) => void): boolean {
  const n = a.length;
  const m = b.length;
  const limit = Math.min(maxEdits, n + m);
  const offset = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  // trace[d]: the furthest x of each diagonal k in [-d-1, d+1] before step d, at index k + d + 1.
  const trace: Int32Array[] = [];
  let finalD = -1;
  for (let d = 0; d <= limit && finalD < 0; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        finalD = d;
        break;
      }
    }
  }
  if (finalD < 0) return false;
  let x = n;
  let y = m;
  for (let d = finalD; d > 0; d--) {
    const previous = trace[d]!;
    const at = (k: number) => previous[k + d + 1]!;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const previousK = down ? k + 1 : k - 1;
    const previousX = at(previousK);
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) step('kept', --x, --y);
    if (down) step('added', x, y - 1);
    else step('removed', x - 1, y);
    x = previousX;
    y = previousY;
  }
  while (x > 0 && y > 0) step('kept', --x, --y);
  return true;
}

/** Added lines of `newContent` relative to `oldContent` as sorted, merged byte ranges of `newContent`. */
export function addedLineByteRanges(oldContent: Uint8Array, newContent: Uint8Array): { start: number; end: number }[] {
  const ids = new Map<string, number>();
  const oldOffsets = lineOffsets(oldContent);
  const newOffsets = lineOffsets(newContent);
  const added = addedLineIndices(lineIds(oldContent, oldOffsets, ids), lineIds(newContent, newOffsets, ids));
  return lineIndicesToRanges(newOffsets, added);
}

/** Sorted 0-based line indices to merged byte ranges, given the offsets from `lineOffsets`. */
export function lineIndicesToRanges(offsets: Int32Array, lines: readonly number[]): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  for (const line of lines) {
    if (line < 0 || line >= offsets.length - 1) continue;
    const start = offsets[line]!;
    const end = offsets[line + 1]!;
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.end === start) last.end = end;
    else ranges.push({ start, end });
  }
  return ranges;
}
