/** One line of a unified diff. */
export interface DiffLine {
  kind: 'context' | 'added' | 'removed';
  text: string;
  oldNumber?: number;
  newNumber?: number;
}

export interface DiffHunk {
  oldStart: number;
  newStart: number;
  lines: DiffLine[];
}

export type TextDiff = { kind: 'hunks'; hunks: DiffHunk[]; added: number; removed: number } | { kind: 'too-different'; added: number; removed: number };

function splitLines(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * The edit script of Myers' O(ND) algorithm (greedy forward search with a trace for backtracking),
 * as the lines of both texts in order. Gives up (undefined) past `maxEdits` differences so a huge
 * rewrite costs bounded time and memory.
 */
function editScript(a: string[], b: string[], maxEdits: number): DiffLine[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    const next = v.slice();
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    v = next;
  }
  if (found < 0) return undefined;
  const out: DiffLine[] = [];
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d--) {
    const previous = trace[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && previous[offset + k - 1]! < previous[offset + k + 1]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : previous[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ kind: 'context', text: a[x - 1]!, oldNumber: x, newNumber: y });
      x--;
      y--;
    }
    if (d > 0) {
      if (down) out.push({ kind: 'added', text: b[y - 1]!, newNumber: y });
      else out.push({ kind: 'removed', text: a[x - 1]!, oldNumber: x });
      x = prevX;
      y = prevY;
    }
  }
  return out.reverse();
}

/** A unified line diff of two texts with `context` lines around each change. */
export function diffText(oldText: string | undefined, newText: string | undefined, options: { context?: number; maxEdits?: number } = {}): TextDiff {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const context = options.context ?? 3;
  const script = editScript(a, b, options.maxEdits ?? 4000);
  if (script === undefined) return { kind: 'too-different', added: b.length, removed: a.length };
  const added = script.filter((l) => l.kind === 'added').length;
  const removed = script.filter((l) => l.kind === 'removed').length;
  // Ranges [from, to] of script lines to show: every change with `context` lines around, merged when they touch.
  const ranges: [number, number][] = [];
  script.forEach((line, index) => {
    if (line.kind === 'context') return;
    const from = Math.max(0, index - context);
    const to = Math.min(script.length - 1, index + context);
    const last = ranges.at(-1);
    if (last !== undefined && from <= last[1] + 1) last[1] = to;
    else ranges.push([from, to]);
  });
  const hunks = ranges.map(([from, to]): DiffHunk => {
    const lines = script.slice(from, to + 1);
    const oldBefore = script.slice(0, from).filter((l) => l.kind !== 'added').length;
    const newBefore = script.slice(0, from).filter((l) => l.kind !== 'removed').length;
    return { oldStart: oldBefore + 1, newStart: newBefore + 1, lines };
  });
  return { kind: 'hunks', hunks, added, removed };
}
