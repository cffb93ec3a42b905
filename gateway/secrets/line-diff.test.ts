import t from 'tap';
import { addedLineByteRanges, addedLineIndices } from './line-diff.js';

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
