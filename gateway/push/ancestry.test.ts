import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackDecoder } from '../../pack-parser/index.js';
import { git, hermeticGitEnv } from '../../testdata/git-cli.js';
import { makePackWithGit } from '../../testdata/pack-fixtures.js';
import { isAncestor, MAX_UPSTREAM_ANCESTRY_CHECKS } from './ancestry.js';
import { PushedObjects } from './pushed-objects.js';

const env = hermeticGitEnv();
const repo = join(mkdtempSync(join(tmpdir(), 'gitgate-ancestry-')), 'repo');
git(['init', '-q', '-b', 'main', repo], { cwd: tmpdir(), env });
const run = (args: string[]) => git(args, { cwd: repo, env }).toString('utf8').trim();

// The upstream: main is c0..c69 (marks :1..:70); side is one commit X off c0, on no path from main.
// Pushed (not upstream): `merges` merges main's commits one by one, `few` merges three of them.
const UPSTREAM_COMMITS = 70;
let stream = '';
for (let i = 0; i < UPSTREAM_COMMITS; i++) {
  stream += `commit refs/heads/main\nmark :${i + 1}\ncommitter A <a@example.com> ${1_700_000_000 + i} +0000\ndata 3\nc${i}\nM 100644 inline main.txt\ndata ${String(i).length + 1}\n${i}\n\n`;
}
stream += `commit refs/heads/side\nmark :100\ncommitter A <a@example.com> 1700001000 +0000\ndata 1\nX\nfrom :1\nM 100644 inline side.txt\ndata 2\nx\n\n`;
const merges = (branch: string, count: number) => {
  let out = '';
  for (let i = 1; i <= count; i++) {
    out += `commit refs/heads/${branch}\ncommitter A <a@example.com> ${1_700_002_000 + i} +0000\ndata ${String(i).length + 1}\nm${i}\n`;
    if (i === 1) out += 'from :1\n';
    out += `merge :${i + 1}\nM 100644 inline ${branch}.txt\ndata ${String(i).length + 1}\n${i}\n\n`;
  }
  return out;
};
git(['fast-import', '--quiet'], { cwd: repo, env, input: stream + merges('merges', UPSTREAM_COMMITS - 1) + merges('few', 3) });
const gitDir = join(repo, '.git');
const c0 = run(['rev-parse', 'main~69']);
const x = run(['rev-parse', 'side']);

async function pushedFrom(tip: string): Promise<PushedObjects> {
  const pushed = new PushedObjects();
  const decoder = new PackDecoder({ onObject: (object) => pushed.add(object) });
  decoder.write(makePackWithGit(repo, { revs: [tip, '^main', '^side'], thin: true }));
  await decoder.end();
  decoder.close();
  return pushed;
}

t.test('an old tip that a pushed commit names as parent is proved without the upstream', async (t) => {
  const few = run(['rev-parse', 'few']);
  const pushed = await pushedFrom(few);
  t.equal(await isAncestor(run(['rev-parse', 'few~2']), few, pushed, undefined), true);
  t.equal(await isAncestor(c0, few, pushed, undefined), true, 'c0 is the first parent of the oldest pushed commit');
  t.equal(await isAncestor(x, few, pushed, undefined), null, 'no upstream to ask: unknown');
});

t.test('where the push meets upstream history, git merge-base decides', async (t) => {
  const few = run(['rev-parse', 'few']);
  const pushed = await pushedFrom(few);
  t.equal(await isAncestor(run(['rev-parse', 'main~68']), few, pushed, gitDir), true, 'c1 is a merged parent');
  t.equal(await isAncestor(x, few, pushed, gitDir), false, 'X is reachable from none of the four upstream parents');
});

t.test(`past ${MAX_UPSTREAM_ANCESTRY_CHECKS} upstream commits the answer is unknown, not one process per commit`, async (t) => {
  const tip = run(['rev-parse', 'merges']);
  const pushed = await pushedFrom(tip);
  t.equal(pushed.commits.size, UPSTREAM_COMMITS - 1);
  t.ok(UPSTREAM_COMMITS > MAX_UPSTREAM_ANCESTRY_CHECKS, 'the push builds on more upstream commits than are checked');
  t.equal(await isAncestor(x, tip, pushed, gitDir), null);
  t.equal(await isAncestor(c0, tip, pushed, gitDir), true, 'an answer found among the first ones checked still counts');
});
