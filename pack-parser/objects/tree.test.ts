import t, { type Test } from 'tap';
import { createGitObjectRepo, expectRefusedLikeGit, type GitObjectRepo, type MalformedObject } from '../../testdata/git-object-repo.js';
import { checkTree, parseTree, type TreeEntry } from './tree.js';

/** `git ls-tree -z`, as [mode without zero padding, type, id, name bytes]. */
function lsTree(repo: GitObjectRepo, tree: string): [string, string, string, Buffer][] {
  const raw = repo.runRaw(['ls-tree', '-z', tree]);
  const rows: [string, string, string, Buffer][] = [];
  for (let start = 0; start < raw.length; ) {
    const end = raw.indexOf(0, start);
    const tab = raw.indexOf(0x09, start);
    const [mode, type, id] = raw.toString('latin1', start, tab).split(' ');
    rows.push([mode!.replace(/^0+/, ''), type!, id!, raw.subarray(tab + 1, end)]);
    start = end + 1;
  }
  return rows;
}

/** `git mktree -z --missing` from [mode, type, id, name] rows (git sorts them). */
function mktree(repo: GitObjectRepo, rows: [string, string, string, string | Buffer][]): string {
  const input = Buffer.concat(
    rows.map(([mode, type, id, name]) => Buffer.concat([Buffer.from(`${mode} ${type} ${id}\t`), Buffer.from(name), Buffer.from([0])])),
  );
  return repo.run(['mktree', '-z', '--missing'], input);
}

const GIT_TYPE: Record<TreeEntry['kind'], string> = { blob: 'blob', executable: 'blob', symlink: 'blob', tree: 'tree', gitlink: 'commit' };

function checkAgainstGit(t: Test, repo: GitObjectRepo, tree: string, hashLength: 20 | 32): TreeEntry[] {
  const entries = parseTree(repo.catFile('tree', tree), hashLength);
  t.same(
    entries.map((e) => [e.mode, GIT_TYPE[e.kind], e.id, e.name]),
    lsTree(repo, tree),
    'entries, modes, ids and name bytes as git ls-tree shows them, in git order',
  );
  return entries;
}


const repo = createGitObjectRepo();
const blob = repo.hashObject('blob', 'content\n');
repo.run(['commit', '-q', '--allow-empty', '-m', 'for a gitlink']);
const commit = repo.run(['rev-parse', 'HEAD']);
const emptyTree = mktree(repo, []);
const subtree = mktree(repo, [['100644', 'blob', blob, 'inner']]);

t.test('unusual names and every mode, compared with git ls-tree', async (t) => {
  const tree = mktree(repo, [
    ['100644', 'blob', blob, 'plain.txt'],
    ['100644', 'blob', blob, 'with space.txt'],
    ['100644', 'blob', blob, 'ünïcödé ✓.md'],
    ['100644', 'blob', blob, Buffer.from([0xff, 0xfe, 0x6e, 0x6f, 0x6e, 0x2d, 0x75, 0x74, 0x66, 0x38])],
    ['100644', 'blob', blob, '-leading-dash'],
    ['100644', 'blob', blob, 'new\nline'],
    ['100644', 'blob', blob, 'tab\tname'],
    ['100644', 'blob', blob, '.hidden'],
    ['100755', 'blob', blob, 'run.sh'],
    ['120000', 'blob', blob, 'link'],
    ['160000', 'commit', commit, 'submodule'],
    ['040000', 'tree', subtree, 'dir'],
    ['040000', 'tree', emptyTree, 'empty'],
  ]);
  const entries = checkAgainstGit(t, repo, tree, 20);
  const byName = new Map(entries.map((e) => [e.name.toString('latin1'), e]));
  t.same(byName.get('run.sh'), { mode: '100755', kind: 'executable', name: Buffer.from('run.sh'), id: blob });
  t.equal(byName.get('link')?.kind, 'symlink');
  t.same([byName.get('submodule')?.kind, byName.get('submodule')?.id], ['gitlink', commit]);
  t.same([byName.get('dir')?.mode, byName.get('dir')?.kind], ['40000', 'tree']);
  t.ok(entries.some((e) => e.name.equals(Buffer.from([0xff, 0xfe, 0x6e, 0x6f, 0x6e, 0x2d, 0x75, 0x74, 0x66, 0x38]))), 'non-UTF-8 name kept as bytes');
  t.same(parseTree(repo.catFile('tree', emptyTree)), [], 'the empty tree');
});

t.test("git's order: a tree sorts as if its name ended with '/'", async (t) => {
  const tree = mktree(repo, [
    ['040000', 'tree', subtree, 'a'],
    ['100644', 'blob', blob, 'a.b'],
    ['100644', 'blob', blob, 'a-b'],
    ['100644', 'blob', blob, 'a0'],
    ['100644', 'blob', blob, 'a b'],
    ['040000', 'tree', subtree, 'b'],
    ['100644', 'blob', blob, 'b0'],
    ['160000', 'commit', commit, 'c'],
    ['100644', 'blob', blob, 'c.d'],
  ]);
  const names = checkAgainstGit(t, repo, tree, 20).map((e) => e.name.toString());
  t.same(names, ['a b', 'a-b', 'a.b', 'a', 'a0', 'b', 'b0', 'c', 'c.d']);
});

t.test('SHA-256 trees', async (t) => {
  const repo256 = createGitObjectRepo('sha256');
  const blob256 = repo256.hashObject('blob', 'x');
  const inner = mktree(repo256, [['100644', 'blob', blob256, 'x']]);
  const tree = mktree(repo256, [['100755', 'blob', blob256, 'x'], ['040000', 'tree', inner, 'y']]);
  const entries = checkAgainstGit(t, repo256, tree, 32);
  t.equal(entries[0]!.id.length, 64);
  t.throws(() => parseTree(repo256.catFile('tree', tree), 20), { code: 'OBJECT_BAD_TREE' });
});

const ID = Buffer.alloc(20, 0xab);
const entry = (mode: string, name: string | Buffer, id: Buffer = ID) =>
  Buffer.concat([Buffer.from(`${mode} `), Buffer.from(name), Buffer.from([0]), id]);

/** Malformed trees; `stricter` marks what git fsck --strict lets pass and we refuse. */
const malformed: MalformedObject[] = [
  ['truncated id', entry('100644', 'a', ID.subarray(0, 19))],
  ['no NUL after the name', Buffer.from('100644 abc')],
  ['mode only', Buffer.from('100644')],
  ['file mode and space only', Buffer.from('100644 ')],
  ['tree mode and space only', Buffer.from('40000 ')],
  ['empty mode', entry('', 'a')],
  ['non-octal mode', entry('100648', 'a')],
  ['letters in mode', entry('10064x', 'a')],
  ['unknown mode', entry('100600', 'a'), 'stricter than git'],
  ['mode too long', entry('00000100644', 'a')],
  ['empty name', entry('100644', '')],
  ['name with /', entry('100644', 'a/b')],
  ['name "."', entry('100644', '.')],
  ['name ".."', entry('40000', '..')],
  ['unsorted', Buffer.concat([entry('100644', 'b'), entry('100644', 'a')])],
  ['tree sorted as a file', Buffer.concat([entry('40000', 'a'), entry('100644', 'a.b')])],
  ['duplicate name', Buffer.concat([entry('100644', 'a'), entry('100644', 'a')])],
  ['file and tree of the same name', Buffer.concat([entry('100644', 'a'), entry('40000', 'a')])],
  ['file and zero-padded tree of the same name', Buffer.concat([entry('100644', 'a'), entry('040000', 'a')])],
  ['file and tree of the same name, apart', Buffer.concat([entry('100644', 'a'), entry('100644', 'a-b'), entry('100644', 'a.b'), entry('40000', 'a')])],
  ['file and tree of the same name, a longer one between', Buffer.concat([entry('100644', 'a'), entry('100644', 'a!'), entry('100644', 'a!!'), entry('40000', 'a!')])],
  ['file and tree of the same name, another tree between', Buffer.concat([entry('100644', 'a'), entry('40000', 'a!'), entry('100644', 'a!b'), entry('40000', 'a')])],
  ['trailing garbage', Buffer.concat([entry('100644', 'a'), Buffer.from('x')])],
];

t.test('malformed trees give OBJECT_BAD_TREE; git fsck --strict agrees', async (t) => {
  expectRefusedLikeGit(t, 'tree', malformed, (content) => parseTree(content), 'OBJECT_BAD_TREE');
});

t.test('checkTree refuses exactly what parseTree refuses, without building entries', async (t) => {
  for (const [name, content] of malformed) t.throws(() => checkTree(Buffer.from(content)), { code: 'OBJECT_BAD_TREE' }, name);
  t.doesNotThrow(() => checkTree(Buffer.concat([entry('100644', 'a'), entry('100644', 'a-b'), entry('40000', 'a0')])));
  t.doesNotThrow(() => checkTree(Buffer.alloc(0)), 'the empty tree');
  // Files that a later tree could duplicate, nested: each tree name is a prefix of the files before
  // it and of the trees before it, and none is one of them.
  const nested: Buffer[] = [];
  for (let i = 0; i < 300; i++) nested.push(entry('100644', `a${'!'.repeat(300)}x${String(i).padStart(3, '0')}`));
  for (let j = 299; j >= 0; j--) nested.push(entry('40000', `a${'!'.repeat(j)}`));
  t.doesNotThrow(() => checkTree(Buffer.concat(nested)), 'nested names with no file and tree alike');
  nested.unshift(entry('100644', `a${'!'.repeat(299)}`));
  t.throws(() => checkTree(Buffer.concat(nested)), { code: 'OBJECT_BAD_TREE', message: /duplicate name/ }, 'one file named as a tree far after it');
});

t.test('zero-padded modes (written by old git) are read, not refused', async (t) => {
  const [padded] = parseTree(entry('040000', 'dir'));
  t.same([padded?.mode, padded?.kind], ['040000', 'tree']);
  t.equal(parseTree(entry('100664', 'old'))[0]?.kind, 'blob');
  t.doesNotThrow(() => parseTree(Buffer.concat([entry('100644', 'b'), entry('100644', 'a')]), 20, { checkOrder: false }));
});

t.test('a 1000-entry tree parses whole, in order', async (t) => {
  const rows: [string, string, string, string][] = [];
  for (let i = 0; i < 1000; i++) rows.push([i % 10 === 0 ? '040000' : '100644', i % 10 === 0 ? 'tree' : 'blob', i % 10 === 0 ? subtree : blob, `src/file-${i}.ts`.replace('/', '_')]);
  const content = repo.catFile('tree', mktree(repo, rows));
  // Speed is measured by bench:pack, not asserted here.
  const entries = parseTree(content);
  t.equal(entries.length, 1000);
  t.same(
    entries.map((entry) => entry.name.toString()).sort(),
    rows.map((row) => row[3]).sort(),
    'every entry, each once',
  );
});
