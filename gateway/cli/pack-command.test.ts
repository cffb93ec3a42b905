import t from 'tap';
import { capturedIO as captureIO } from './captured-io.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeededRepo } from '../../testdata/seeded-repo.js';
import { indexPackWithGit, makePackWithGit } from '../../testdata/pack-fixtures.js';
import { runCli } from './run.js';
import { allCommands } from './commands.js';

const dir = mkdtempSync(join(tmpdir(), 'gitgate-pack-cli-test-'));
const repo = join(dir, 'repo.git');
t.before(() =>
  createSeededRepo(repo, {
    seed: 5,
    commits: 20,
    initialFiles: 10,
    filesEditedPerCommit: 3,
    fileLines: [10, 80],
    linesChangedPerEdit: [1, 3],
    tagEvery: 10,
  }),
);

t.test('pack index writes the same idx as git next to the pack and prints a summary', async (t) => {
  const pack = makePackWithGit(repo, { revs: ['--all'] });
  const packPath = join(dir, 'all.pack');
  writeFileSync(packPath, pack);
  const io = captureIO();
  t.equal(await runCli(['pack', 'index', packPath], allCommands, io), 0, io.err);
  t.ok(readFileSync(join(dir, 'all.idx')).equals(indexPackWithGit(pack).idx));
  t.match(io.out, /pack v2, \d+ objects \(commit 21, tree \d+, blob \d+, tag 2\)/);
  t.match(io.out, /checksum [0-9a-f]{40} verified/);
});

t.test('pack index - reads stdin; --json prints the summary as JSON', async (t) => {
  const pack = makePackWithGit(repo, { revs: ['main', '^main~4'] });
  const io = captureIO(pack);
  const output = join(dir, 'stdin.idx');
  t.equal(await runCli(['pack', 'index', '-', '--output', output, '--json'], allCommands, io), 0, io.err);
  const summary = JSON.parse(io.out) as { objectCount: number; checksum: string; idx: string };
  t.equal(summary.checksum, pack.subarray(pack.length - 20).toString('hex'));
  t.equal(summary.idx, output);
  t.ok(readFileSync(output).equals(indexPackWithGit(pack).idx));
});

t.test('a thin pack needs --base-repo, and works with it', async (t) => {
  const thin = makePackWithGit(repo, { revs: ['main', '^main~5'], thin: true });
  const packPath = join(dir, 'thin.pack');
  writeFileSync(packPath, thin);
  const without = captureIO();
  t.equal(await runCli(['pack', 'index', packPath], allCommands, without), 1);
  t.match(without.err, /PACK_DELTA_BASE_MISSING.*--base-repo/);
  const withBases = captureIO();
  t.equal(await runCli(['pack', 'index', packPath, '--base-repo', repo], allCommands, withBases), 0, withBases.err);
  t.match(withBases.out, /bases from outside the pack \(thin\)/);
});

t.test('a malformed pack: clear message with the error code, exit 1, no idx written', async (t) => {
  const pack = Buffer.from(makePackWithGit(repo, { revs: ['--all'] }));
  pack[pack.length - 1]! ^= 1;
  const packPath = join(dir, 'bad.pack');
  writeFileSync(packPath, pack);
  const io = captureIO();
  t.equal(await runCli(['pack', 'index', packPath], allCommands, io), 1);
  t.match(io.err, /is not a valid pack: PACK_CHECKSUM_MISMATCH/);
  t.throws(() => readFileSync(join(dir, 'bad.idx')), { code: 'ENOENT' });
});

t.test('missing file and missing argument', async (t) => {
  const io = captureIO();
  t.equal(await runCli(['pack', 'index', join(dir, 'nope.pack')], allCommands, io), 1);
  t.match(io.err, /cannot read/);
  const usage = captureIO();
  t.equal(await runCli(['pack', 'index'], allCommands, usage), 2);
  t.match(usage.err, /missing the pack/);
});
