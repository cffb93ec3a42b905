import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, hermeticGitEnv } from '../../testdata/git-cli.js';
import { createSeededRepo } from '../../testdata/seeded-repo.js';
import { CatFileObjectSource } from '../git/cat-file-object-source.js';
import { ObjectReader } from './object-reader.js';
import { PushedObjects } from './pushed-objects.js';
import { diffTrees } from './tree-diff.js';

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
function gitDiff(oldTree: string, newTree: string) {
  const out = git(['diff-tree', '-r', '-z', '--no-renames', oldTree, newTree], { cwd: repo, env }).toString('utf8');
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
