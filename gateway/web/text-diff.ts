import { walkEditScript } from '../secrets/line-diff.js';

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

/** The edit script (secrets/line-diff's Myers walk) as the lines of both texts in order; undefined past `maxEdits`. */
function editScript(a: string[], b: string[], maxEdits: number): DiffLine[] | undefined {
  const ids = new Map<string, number>();
  const idsOf = (lines: string[]) =>
    Int32Array.from(lines, (line) => {
      let id = ids.get(line);
      if (id === undefined) ids.set(line, (id = ids.size));
      return id;
    });
  const out: DiffLine[] = [];
  const complete = walkEditScript(idsOf(a), idsOf(b), maxEdits, (kind, oldIndex, newIndex) => {
    if (kind === 'kept') out.push({ kind: 'context', text: a[oldIndex]!, oldNumber: oldIndex + 1, newNumber: newIndex + 1 });
    else if (kind === 'added') out.push({ kind: 'added', text: b[newIndex]!, newNumber: newIndex + 1 });
    else out.push({ kind: 'removed', text: a[oldIndex]!, oldNumber: oldIndex + 1 });
  });
  return complete ? out.reverse() : undefined;
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
