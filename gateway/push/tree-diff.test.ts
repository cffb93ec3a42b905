import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, hermeticGitEnv } from '../../testdata/git-cli.js';
import { createSeededRepo } from '../../testdata/seeded-repo.js';
import { SeededRandom } from '../../testdata/seeded-random.js';
import { CatFileObjectSource } from '../git/cat-file-object-source.js';
import { ObjectReader } from './object-reader.js';
import { PushedObjects } from './pushed-objects.js';
import { diffTrees, MAX_PATH_LENGTH } from './tree-diff.js';

const root = mkdtempSync(join(tmpdir(), 'gitgate-tree-diff-'));
const repo = join(root, 'repo.git');
const env = hermeticGitEnv();
let source: CatFileObjectSource;

t.before(async () => {
  await createSeededRepo(repo, { seed: 41, commits: 40, initialFiles: 30, filesEditedPerCommit: 3, fileLines: [5, 40], linesChangedPerEdit: [1, 4], mergeEvery: 10, renameEvery: 4, binaryEvery: 9, addFileEvery: 3 });
  source = new CatFileObjectSource(repo);
});
t.teardown(() => source.close());

const STATUS = { A: 'added', M: 'modified', D: 'deleted' } as const;

/** `git diff-tree -r --no-renames` of two trees, as TreeChanges. */
function gitDiff(oldTree: string, newTree: string, cwd = repo) {
  const out = git(['diff-tree', '-r', '-z', '--no-renames', oldTree, newTree], { cwd, env }).toString('utf8');
  const fields = out.split('\0').filter((f) => f.length > 0);
  const changes = [];
  for (let i = 0; i < fields.length; i += 2) {
    const [oldMode, newMode, oldId, newId, status] = fields[i]!.slice(1).split(' ') as [string, string, string, string, 'A' | 'M' | 'D'];
    const deleted = status === 'D';
    changes.push({
      path: fields[i + 1]!,
      status: STATUS[status],
      mode: (deleted ? oldMode : newMode).replace(/^0+/, ''),
      id: deleted ? oldId : newId,
      oldId: status === 'M' ? oldId : undefined,
    });
  }
  return changes;
}

t.test('every commit of a generated history diffs as git diff-tree does', async (t) => {
  const reader = new ObjectReader(new PushedObjects(), source);
  const lines = git(['log', '--all', '--format=%T %P'], { cwd: repo, env }).toString('utf8').trim().split('\n');
  let compared = 0;
  for (const line of lines) {
    const [tree, firstParent] = line.split(' ') as [string, string | undefined];
    if (!firstParent) continue;
    const parentTree = git(['rev-parse', `${firstParent}^{tree}`], { cwd: repo, env }).toString('utf8').trim();
    const ours = await diffTrees(reader, parentTree, tree, Infinity);
    const sortByPath = <T extends { path: string; status: string }>(xs: T[]) => [...xs].sort((a, b) => (a.path === b.path ? a.status.localeCompare(b.status) : a.path < b.path ? -1 : 1));
    t.same(sortByPath(ours.changes), sortByPath(gitDiff(parentTree, tree)), `commit with tree ${tree}`);
    compared++;
  }
  t.ok(compared >= 40, `${compared} commits compared`);
});

t.test('any two trees of the history diff as git diff-tree does (changes at the start, middle and end of trees)', async (t) => {
  const reader = new ObjectReader(new PushedObjects(), source);
  const trees = [...new Set(git(['log', '--all', '--format=%T'], { cwd: repo, env }).toString('utf8').trim().split('\n'))];
  const random = new SeededRandom(17);
  for (let pair = 0; pair < 120; pair++) {
    const oldTree = trees[random.int(0, trees.length - 1)]!;
    const newTree = trees[random.int(0, trees.length - 1)]!;
    const ours = await diffTrees(reader, oldTree, newTree, Infinity);
    t.same(ours.changes, gitDiff(oldTree, newTree), `${oldTree} -> ${newTree}`);
  }
});

t.test('large trees (where the shared start and end are found by native compares) diff as git diff-tree does', async (t) => {
  const work = join(root, 'large-trees');
  git(['init', '-q', '--bare', work], { cwd: root, env });
  const blob = (content: string) => git(['hash-object', '-w', '--stdin'], { cwd: work, env, input: content }).toString().trim();
  const writeTree = (files: Map<string, string>) =>
    git(['mktree'], { cwd: work, env, input: [...files].map(([name, id]) => `100644 blob ${id}\t${name}\n`).join('') }).toString().trim();
  const names = Array.from({ length: 120 }, (_, i) => `file-${String(i).padStart(3, '0')}.txt`);
  const base = new Map(names.map((name) => [name, blob(`${name}\n`)]));
  const variant = (edit: (files: Map<string, string>) => void) => {
    const files = new Map(base);
    edit(files);
    return writeTree(new Map([...files].sort(([x], [y]) => (x < y ? -1 : 1))));
  };
  const baseTree = writeTree(base);
  const variants = {
    first: variant((f) => f.set(names[0]!, blob('changed first\n'))),
    last: variant((f) => f.set(names[119]!, blob('changed last\n'))),
    middle: variant((f) => f.set(names[60]!, blob('changed middle\n'))),
    added: variant((f) => f.set('file-060a.txt', blob('new\n'))),
    deleted: variant((f) => f.delete(names[119]!)),
    both: variant((f) => (f.set(names[1]!, blob('one\n')), f.set(names[118]!, blob('two\n')))),
  };
  const source = new CatFileObjectSource(work);
  try {
    const reader = new ObjectReader(new PushedObjects(), source);
    t.ok((await reader.treeContent(baseTree)).length >= 1024, 'the trees are over the native-search threshold');
    for (const [name, tree] of Object.entries(variants)) {
      t.same((await diffTrees(reader, baseTree, tree, Infinity)).changes, gitDiff(baseTree, tree, work), `${name}: old to new`);
      t.same((await diffTrees(reader, tree, baseTree, Infinity)).changes, gitDiff(tree, baseTree, work), `${name}: new to old`);
    }
  } finally {
    source.close();
  }
});

t.test('a path that turns from file into directory is a deletion and additions; the limit truncates', async (t) => {
  const work = join(root, 'work');
  git(['init', '-q', work], { cwd: root, env });
  const commit = (files: Record<string, string>) => {
    git(['rm', '-q', '-r', '--cached', '--ignore-unmatch', '.'], { cwd: work, env });
    git(['clean', '-q', '-f', '-d'], { cwd: work, env });
    for (const [path, content] of Object.entries(files)) {
      const id = git(['hash-object', '-w', '--stdin'], { cwd: work, env, input: content }).toString().trim();
      git(['update-index', '--add', '--cacheinfo', `100644,${id},${path}`], { cwd: work, env });
    }
    return git(['write-tree'], { cwd: work, env }).toString().trim();
  };
  const before = commit({ 'a': 'file a\n', 'a-b': 'x\n', 'a0': 'y\n' });
  const after = commit({ 'a/inner.txt': 'inner\n', 'a/deeper/z.txt': 'z\n', 'a-b': 'x changed\n', 'a0': 'y\n' });
  const workSource = new CatFileObjectSource(join(work, '.git'));
  try {
    const reader = new ObjectReader(new PushedObjects(), workSource);
    const { changes, truncated } = await diffTrees(reader, before, after, Infinity);
    t.same(changes.map((c) => `${c.status} ${c.path}`), ['deleted a', 'modified a-b', 'added a/deeper/z.txt', 'added a/inner.txt']);
    t.notOk(truncated);
    const cut = await diffTrees(reader, before, after, 2);
    t.equal(cut.changes.length, 2);
    t.ok(cut.truncated);
    t.same((await diffTrees(reader, undefined, before, Infinity)).changes.map((c) => c.status), ['added', 'added', 'added'], 'from the empty tree');
  } finally {
    workSource.close();
  }
});

t.test(`a path longer than ${MAX_PATH_LENGTH} characters is refused before it is built`, async (t) => {
  const bare = join(root, 'long-paths.git');
  git(['init', '-q', '--bare', bare], { cwd: root, env });
  const object = (args: string[], input: string) => git(args, { cwd: bare, env, input }).toString().trim();
  const blob = object(['hash-object', '-w', '--stdin'], 'x\n');
  // Twenty nested directories of 200-character names: 4,000 characters of directories.
  let tree = object(['mktree'], `100644 blob ${blob}\tshort.txt\n`);
  for (let level = 0; level < 20; level++) tree = object(['mktree'], `040000 tree ${tree}\t${String(level).padStart(200, 'd')}\n`);
  const fits = object(['mktree'], `040000 tree ${tree}\tok\n`);
  const tooLong = object(['mktree'], `040000 tree ${tree}\t${'n'.repeat(100)}\n`);
  const bareSource = new CatFileObjectSource(bare);
  try {
    const reader = new ObjectReader(new PushedObjects(), bareSource);
    const { changes } = await diffTrees(reader, undefined, fits, Infinity);
    t.same(changes.map((c) => c.path.length), [3 + 20 * 201 + 'short.txt'.length], 'up to the limit: listed');
    await t.rejects(diffTrees(reader, undefined, tooLong, Infinity), { name: 'PushError', code: 'PUSH_PACK_INVALID', message: /^a path in this push is longer than 4096 characters \(under "n{60}"\.\.\.\); gitgate refuses paths git cannot check out/ });
  } finally {
    bareSource.close();
  }
});
