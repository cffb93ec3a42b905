import t from 'tap';
import { diffText } from './text-diff.js';

const render = (oldText: string | undefined, newText: string | undefined, context = 1) => {
  const diff = diffText(oldText, newText, { context });
  if (diff.kind !== 'hunks') return diff.kind;
  return diff.hunks.map((h) => [`@@ -${h.oldStart} +${h.newStart}`, ...h.lines.map((l) => `${l.kind === 'added' ? '+' : l.kind === 'removed' ? '-' : ' '}${l.text}`)].join('\n')).join('\n');
};

t.test('line diff: changes with context, line numbers, added and deleted files', async (t) => {
  t.equal(render('a\nb\nc\nd\ne\nf\ng\n', 'a\nb\nC\nd\ne\nf\ng\nh\n'), '@@ -2 +2\n b\n-c\n+C\n d\n@@ -7 +7\n g\n+h');
  t.equal(render(undefined, 'x\ny\n'), '@@ -1 +1\n+x\n+y');
  t.equal(render('x\n', undefined), '@@ -1 +1\n-x');
  t.equal(render('same\n', 'same\n'), '');
  const diff = diffText('1\n2\n3\n', '1\n2\nthree\n4\n');
  t.match(diff, { kind: 'hunks', added: 2, removed: 1 });
});

t.test('a rewrite past the edit budget is reported, not computed', async (t) => {
  const a = Array.from({ length: 200 }, (_, i) => `a${i}`).join('\n');
  const b = Array.from({ length: 200 }, (_, i) => `b${i}`).join('\n');
  t.match(diffText(a, b, { maxEdits: 100 }), { kind: 'too-different', added: 200, removed: 200 });
  t.match(diffText(a, b), { kind: 'hunks', added: 200, removed: 200 });
});
