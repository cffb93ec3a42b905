import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git } from '../../testdata/git-cli.js';
import { createSeededRepo } from '../../testdata/seeded-repo.js';
import { closeIdleCatFiles } from '../git/shared-cat-file.js';
import { AuditPackStore } from './pack-store.js';
import { buildReplayPack, type PushedCommitParents } from './replay-pack.js';

const root = mkdtempSync(join(tmpdir(), 'gitgate-replay-pack-test-'));
const upstream = join(root, 'upstream.git');
const client = join(root, 'client');
const packs = new AuditPackStore(join(root, 'packs'));
t.teardown(() => closeIdleCatFiles());

/** The ids a pack's idx lists (read by git itself). */
function objectsOf(pack: { sha256: string }): string[] {
  const listing = git(['show-index'], { cwd: root, input: readFileSync(packs.idxPath(pack.sha256)) }).toString();
  return listing
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[1]!)
    .sort();
}

t.before(async () => {
  await createSeededRepo(upstream, { seed: 5, commits: 40, initialFiles: 30, filesEditedPerCommit: 3, fileLines: [10, 60], linesChangedPerEdit: [1, 4], mergeEvery: 10, renameEvery: 7 });
  git(['clone', '-q', upstream, client], { cwd: root });
  // New history as an agent pushes it: edits, a deleted file, a topic branch merged back.
  const commit = (message: string) => git(['-c', 'user.name=Agent', '-c', 'user.email=agent@example.com', 'commit', '-q', '-a', '-m', message], { cwd: client });
  const files = git(['ls-files'], { cwd: client }).toString().split('\n').filter(Boolean);
  writeFileSync(join(client, files[0]!), 'rewritten\n');
  commit('rewrite one file');
  git(['rm', '-q', files[1]!], { cwd: client });
  commit('delete one file');
  git(['checkout', '-q', '-b', 'topic', 'HEAD~1'], { cwd: client });
  writeFileSync(join(client, files[2]!), 'changed on the topic\n');
  commit('topic change');
  git(['checkout', '-q', 'main'], { cwd: client });
  git(['-c', 'user.name=Agent', '-c', 'user.email=agent@example.com', 'merge', '-q', '--no-ff', '-m', 'merge topic', 'topic'], { cwd: client });
});

t.test('the parents the decoder read and those git lists give the same replay pack, from which every pushed commit can be shown', async (t) => {
  // A thin pack, as git push sends: deltas against objects the upstream already has.
  const thinPack = git(['pack-objects', '--revs', '--thin', '--stdout', '-q', '--delta-base-offset'], { cwd: client, input: 'main\n^origin/main\n' });
  const kept = await packs.put([thinPack]);
  const newTip = git(['rev-parse', 'main'], { cwd: client }).toString().trim();
  const listed = git(['rev-list', '--parents', 'main', '^origin/main'], { cwd: client }).toString();
  const pushedCommits: PushedCommitParents[] = listed
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, ...parents] = line.split(' ');
      return { id: id!, parents };
    });
  t.equal(pushedCommits.length, 4, 'four pushed commits, one a merge');

  const fromDecoder = await buildReplayPack({ packs, pushedPack: kept.sha256, objectStoreGitDir: upstream, pushedCommits, tips: [newTip] });
  const fromGit = await buildReplayPack({ packs, pushedPack: kept.sha256, objectStoreGitDir: upstream, pushedCommits: undefined, tips: [newTip] });
  t.same(objectsOf(fromDecoder), objectsOf(fromGit), 'the same objects either way');
  t.equal(fromDecoder.sha256, fromGit.sha256, 'the same pack');

  // Alone (no upstream objects), the replay pack shows every pushed commit's changes.
  const alone = join(root, 'alone.git');
  git(['init', '-q', '--bare', alone], { cwd: root });
  git(['index-pack', '--stdin'], { cwd: alone, input: readFileSync(packs.packPath(fromDecoder.sha256)) });
  for (const { id, parents } of pushedCommits) {
    const shown = git(['show', '--format=%H', '-m', '--stat', id], { cwd: alone }).toString();
    t.match(shown, id, `git show ${id.slice(0, 8)} (${parents.length} parent(s)) from the replay pack alone`);
  }
  const outsideParents = new Set(pushedCommits.flatMap((c) => c.parents).filter((p) => !pushedCommits.some((c) => c.id === p)));
  for (const parent of outsideParents) git(['ls-tree', `${parent}^{tree}`], { cwd: alone });
  t.pass(`the root trees of the ${outsideParents.size} parent(s) before the push are in it`);
});

t.test('a push of no new commits (a tag of an upstream commit) keeps just its tip', async (t) => {
  const tip = git(['rev-parse', 'origin/main~3'], { cwd: client }).toString().trim();
  const replay = await buildReplayPack({ packs, pushedPack: undefined, objectStoreGitDir: upstream, pushedCommits: [], tips: [tip] });
  t.same(objectsOf(replay), [tip]);
});
