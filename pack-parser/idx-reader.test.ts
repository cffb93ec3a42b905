import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexPackWithGit, makePackWithGit } from '../testdata/pack-fixtures.js';
import { git } from '../testdata/git-cli.js';
import { idxV2ObjectIds } from './idx-reader.js';

const root = mkdtempSync(join(tmpdir(), 'gitgate-idx-reader-test-'));

/** A bare repository of `commits` commits, each changing two of ten files, made by git fast-import. */
function repoWithHistory(name: string, objectFormat: 'sha1' | 'sha256', commits: number): string {
  const repo = join(root, name);
  git(['init', '--quiet', '--bare', `--object-format=${objectFormat}`, repo], { cwd: root });
  let stream = '';
  for (let i = 1; i <= commits; i++) {
    stream += `commit refs/heads/main\ncommitter Test <test@example.com> ${1700000000 + i} +0000\ndata 9\ncommit ${String(i).padStart(2, '0')}\n`;
    for (const file of [i % 10, (i * 3) % 10]) {
      const content = `file ${file} at commit ${i}\n`.repeat(i);
      stream += `M 100644 inline src/f${file}.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`;
    }
  }
  git(['fast-import', '--quiet'], { cwd: repo, input: stream });
  return repo;
}

/** What `git show-index` lists for an idx: the ids in the idx's order. */
function showIndex(idx: Buffer, objectFormat: 'sha1' | 'sha256'): string[] {
  const listing = git(['show-index', `--object-format=${objectFormat}`], { cwd: root, input: idx }).toString();
  return listing
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[1]!);
}

for (const objectFormat of ['sha1', 'sha256'] as const) {
  t.test(`lists the ids git show-index lists (${objectFormat})`, async (t) => {
    const repo = repoWithHistory(`repo-${objectFormat}.git`, objectFormat, 30);
    const { idx } = indexPackWithGit(makePackWithGit(repo, { revs: ['--all'] }), objectFormat);
    const ids = idxV2ObjectIds(idx, objectFormat === 'sha1' ? 20 : 32);
    t.ok(ids.length > 50, `${ids.length} objects`);
    t.same(ids, showIndex(idx, objectFormat));
  });
}

t.test('an empty pack index lists nothing', async (t) => {
  const { idx } = indexPackWithGit(Buffer.concat([Buffer.from('PACK'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 0]), Buffer.from('029d08823bd8a8eab510ad6ac75c823cfd3ed31e', 'hex')]));
  t.same(idxV2ObjectIds(idx, 20), []);
});

t.test('refuses what is not a whole version 2 index', async (t) => {
  const repo = repoWithHistory('repo-bad.git', 'sha1', 5);
  const { idx } = indexPackWithGit(makePackWithGit(repo, { revs: ['--all'] }));
  const refused = (bytes: Buffer, message: RegExp, name: string) =>
    t.throws(() => idxV2ObjectIds(bytes, 20), { name: 'PackParserError', code: 'IDX_BAD_INPUT', message }, name);
  refused(idx.subarray(0, 100), /not a version 2 pack index/, 'cut inside the fan-out');
  refused(Buffer.concat([Buffer.from([0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 1]), idx.subarray(8)]), /not a version 2 pack index/, 'version 1 header');
  refused(Buffer.concat([Buffer.from('PACK'), idx.subarray(4)]), /not a version 2 pack index/, 'wrong magic');
  refused(idx.subarray(0, idx.length - 41), /fewer than the/, 'cut before its checksums');
  const decreasing = Buffer.from(idx);
  decreasing.writeUInt32BE(decreasing.readUInt32BE(8 + 255 * 4) + 1, 8 + 10 * 4);
  refused(decreasing, /fan-out decreases at byte b/, 'a fan-out that decreases');
});
