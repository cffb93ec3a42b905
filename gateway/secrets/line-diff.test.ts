import t from 'tap';
import { addedLineByteRanges, addedLineIndices, walkEditScript, type EditKind } from './line-diff.js';

const ids = (text: string) => Int32Array.from([...text].map((c) => c.charCodeAt(0)));

t.test('added lines of small edits', async (t) => {
  t.same(addedLineIndices(ids('abc'), ids('abc')), []);
  t.same(addedLineIndices(ids('abc'), ids('aXbc')), [1]);
  t.same(addedLineIndices(ids('abc'), ids('abcd')), [3]);
  t.same(addedLineIndices(ids(''), ids('xy')), [0, 1]);
  t.same(addedLineIndices(ids('abcabba'), ids('cbabac')), [1, 5]);
  t.same(addedLineIndices(ids('abcdef'), ids('fedcba')).length, 5);
});

t.test('Myers and the multiset fallback never call an unchanged line added', async (t) => {
  let seed = 3;
  const next = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 5);
  for (let round = 0; round < 50; round++) {
    const a = Int32Array.from({ length: 40 }, () => next());
    const b = Int32Array.from([...a].filter(() => next() > 0).flatMap((x) => (next() === 0 ? [x, 9] : [x])));
    for (const maxD of [1000, 2]) {
      const added = new Set(addedLineIndices(a, b, maxD));
      // Removing the added lines must leave a subsequence of a.
      const kept = [...b].filter((_, i) => !added.has(i));
      let j = 0;
      for (const x of a) if (j < kept.length && kept[j] === x) j++;
      t.equal(j, kept.length, `round ${round} maxD ${maxD}`);
      if (maxD === 1000) t.ok(added.has(b.indexOf(9)) || b.indexOf(9) === -1);
    }
  }
});

t.test('byte ranges of added lines', async (t) => {
  const oldText = Buffer.from('one\ntwo\nthree\n');
  const newText = Buffer.from('one\nnew A\nnew B\ntwo\nthree\nlast');
  t.same(addedLineByteRanges(oldText, newText), [
    { start: 4, end: 16 },
    { start: 26, end: 30 },
  ]);
});

t.test('the edit script rebuilds the new text from the old with the fewest edits (checked against LCS)', async (t) => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const randomLines = () => Int32Array.from({ length: Math.floor(next() * 12) }, () => Math.floor(next() * 4));
  const problems: string[] = [];
  for (let round = 0; round < 500; round++) {
    const a = randomLines();
    const b = randomLines();
    const problem = (what: string) => problems.push(`${what}: old [${a.join(',')}] new [${b.join(',')}]`);
    const steps: [EditKind, number, number][] = [];
    if (!walkEditScript(a, b, 1000, (kind, oldIndex, newIndex) => steps.push([kind, oldIndex, newIndex]))) problem('gave up within budget');
    steps.reverse();
    const rebuilt: number[] = [];
    let oldAt = 0;
    for (const [kind, oldIndex, newIndex] of steps) {
      if (kind !== 'added' && oldIndex !== oldAt++) problem('old lines out of order');
      if (kind !== 'removed' && newIndex !== rebuilt.length) problem('new lines out of order');
      if (kind === 'kept' && a[oldIndex] !== b[newIndex]) problem('a kept line differs');
      if (kind !== 'removed') rebuilt.push(kind === 'kept' ? a[oldIndex]! : b[newIndex]!);
    }
    if (oldAt !== a.length || rebuilt.join(',') !== b.join(',')) problem('does not rebuild the new text');
    // Longest common subsequence by dynamic programming: the fewest edits are n + m - 2 * LCS.
    const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
    for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) lcs[i]![j] = a[i - 1] === b[j - 1] ? lcs[i - 1]![j - 1]! + 1 : Math.max(lcs[i - 1]![j]!, lcs[i]![j - 1]!);
    const edits = steps.filter(([kind]) => kind !== 'kept').length;
    if (edits !== a.length + b.length - 2 * lcs[a.length]![b.length]!) problem(`not a shortest script (${edits} edits)`);
    let called = false;
    if (edits > 0 && (walkEditScript(a, b, edits - 1, () => (called = true)) || called)) problem('went on past the budget');
  }
  t.same(problems, [], '500 random pairs of texts');
});
