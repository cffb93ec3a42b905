import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeededRepo } from '../testdata/seeded-repo.js';
import { allObjectsWithGit, fixThinPackWithGit, indexPackWithGit, makePackWithGit } from '../testdata/pack-fixtures.js';
import { resealPack } from '../testdata/pack-builder.js';
import { git } from '../testdata/git-cli.js';
import { PackDecoder, type DecodedObject, type PackDecoderOptions } from './pack-decoder.js';
import { writeIdxV2 } from './idx-writer.js';

async function decodeInChunks(pack: Buffer, chunkSizes: number | (() => number), options: PackDecoderOptions = {}) {
  const objects: Omit<DecodedObject, 'content'>[] = [];
  const decoder = new PackDecoder({
    ...options,
    onObject: (o) => {
      const { content: _content, ...rest } = o;
      objects.push(rest);
    },
  });
  try {
    for (let pos = 0; pos < pack.length; ) {
      const size = typeof chunkSizes === 'number' ? chunkSizes : chunkSizes();
      decoder.write(pack.subarray(pos, pos + size));
      pos += size;
    }
    const summary = await decoder.end();
    const idx = writeIdxV2(decoder.table, decoder.checksum!);
    return { summary, objects: objects.sort((a, b) => a.offset - b.offset), idx };
  } finally {
    decoder.close();
  }
}

const root = mkdtempSync(join(tmpdir(), 'gitgate-pack-decoder-test-'));
const repo = join(root, 'repo.git');

t.before(async () => {
  await createSeededRepo(repo, {
    seed: 20261124,
    commits: 80,
    initialFiles: 40,
    filesEditedPerCommit: 4,
    fileLines: [20, 250],
    linesChangedPerEdit: [1, 6],
    mergeEvery: 15,
    renameEvery: 9,
    binaryEvery: 20,
    addFileEvery: 7,
    largeBlobBytes: 300_000,
    tagEvery: 25,
  });
});

const variants = [
  { name: 'full pack, OFS deltas', revs: ['--all'], options: {} },
  { name: 'full pack, REF deltas', revs: ['--all'], options: { deltaBaseOffset: false } },
  { name: 'deep delta chains (depth 250)', revs: ['--all'], options: { depth: 250, window: 50 } },
  { name: 'partial range (what a fetch sends)', revs: ['main', '^main~30'], options: {} },
];

for (const variant of variants) {
  t.test(`parity with git: ${variant.name}`, async (t) => {
    const pack = makePackWithGit(repo, { revs: variant.revs, ...variant.options });
    const expected = indexPackWithGit(pack);
    const { summary, objects, idx } = await decodeInChunks(pack, 1 << 20);
    t.ok(idx.equals(expected.idx), 'idx is byte-identical to git index-pack');
    t.equal(summary.objectCount, expected.objects.length, 'object count');
    t.same(
      objects.map((o) => [o.id, o.type, o.entrySize, o.packedLength, o.offset, o.depth, o.baseId]),
      expected.objects
        .sort((a, b) => a.offset - b.offset)
        .map((o) => [o.id, o.type, o.size, o.packedLength, o.offset, o.depth, o.baseId]),
      'every object id, type, size, packed size, offset, depth and base equal git verify-pack -v',
    );
    t.ok(summary.deltaCount > 0, `has deltas (${summary.deltaCount}, max depth ${summary.maxDepth})`);
  });
}

t.test('the deep variant really has long delta chains', async (t) => {
  const pack = makePackWithGit(repo, { revs: ['--all'], depth: 250, window: 50 });
  const { summary } = await decodeInChunks(pack, 65536);
  t.ok(summary.maxDepth >= 20, `max depth ${summary.maxDepth}`);
});

t.test('chunk boundaries do not matter: 1-byte chunks, random chunks and 1 MiB chunks agree', async (t) => {
  const pack = makePackWithGit(repo, { revs: ['main', '^main~12'] });
  const whole = await decodeInChunks(pack, 1 << 20);
  const bytewise = await decodeInChunks(pack, 1);
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return 1 + (seed % 5000);
  };
  const randomly = await decodeInChunks(pack, random);
  t.ok(bytewise.idx.equals(whole.idx), '1-byte chunks give the same idx');
  t.ok(randomly.idx.equals(whole.idx), 'random chunks give the same idx');
  t.same(bytewise.objects, whole.objects);
  t.same(randomly.objects, whole.objects);
  t.ok(pack.length > 50_000, `pack of ${pack.length} bytes`);
});

t.test('a tiny base cache still decodes everything by re-reading bases from the spool', async (t) => {
  const pack = makePackWithGit(repo, { revs: ['--all'], depth: 250, window: 50 });
  const expected = indexPackWithGit(pack);
  const { idx, summary } = await decodeInChunks(pack, 1 << 16, { baseCacheBytes: 64 * 1024 });
  t.ok(idx.equals(expected.idx));
  t.ok(summary.baseCache.misses > 0, `cache misses: ${summary.baseCache.misses}`);
});

t.test('spool spilling to a temporary file gives the same result', async (t) => {
  const { SpillingPackSpool } = await import('./pack-spool.js');
  const pack = makePackWithGit(repo, { revs: ['--all'] });
  const spool = new SpillingPackSpool({ memoryLimitBytes: 100_000 });
  const { idx } = await decodeInChunks(pack, 50_000, { spool, baseCacheBytes: 64 * 1024 });
  t.ok(spool.path, 'spilled to a file');
  t.ok(idx.equals(indexPackWithGit(pack).idx));
  spool.close();
});

t.test('pack version 3 decodes like version 2', async (t) => {
  const pack = Buffer.from(makePackWithGit(repo, { revs: ['main', '^main~5'] }));
  pack.writeUInt32BE(3, 4);
  const v3 = resealPack(pack);
  const expected = indexPackWithGit(v3);
  const { idx, summary } = await decodeInChunks(v3, 4096);
  t.equal(summary.version, 3);
  t.ok(idx.equals(expected.idx));
});

t.test('thin pack: bases outside the pack come from resolveExternalBase', async (t) => {
  const thin = makePackWithGit(repo, { revs: ['main', '^main~10'], thin: true });
  const fixed = fixThinPackWithGit(repo, thin);
  const repoObjects = allObjectsWithGit(repo);
  const asked: string[] = [];
  const { summary, objects } = await decodeInChunks(thin, 8192, {
    resolveExternalBase: (id) => {
      asked.push(id);
      return Promise.resolve(repoObjects.get(id));
    },
  });
  t.ok(summary.externalBaseCount > 0, `external bases: ${summary.externalBaseCount}`);
  t.equal(asked.length, summary.externalBaseCount, 'each external base asked for once');
  const fixedById = new Map(fixed.objects.map((o) => [o.id, o.type]));
  t.equal(objects.length, summary.objectCount);
  t.ok(
    objects.every((o) => fixedById.get(o.id) === o.type),
    'every decoded object is in the pack git completed, with the same type',
  );
  t.equal(fixed.objects.length, objects.length + summary.externalBaseCount, 'git appended exactly the external bases');
  t.ok(objects.some((o) => o.externalBase), 'some deltas are based outside the pack');
});

t.test('thin pack without a base source is refused with PACK_DELTA_BASE_MISSING', async (t) => {
  const thin = makePackWithGit(repo, { revs: ['main', '^main~10'], thin: true });
  await t.rejects(decodeInChunks(thin, 8192), { code: 'PACK_DELTA_BASE_MISSING', message: /base-repo|base source/ });
});

t.test('a closed decoder keeps its table and checksum but reads and takes nothing more', async (t) => {
  const pack = makePackWithGit(repo, { revs: ['main', '^main~3'] });
  const ids: string[] = [];
  const decoder = new PackDecoder({ onObject: (o) => ids.push(o.id) });
  decoder.write(pack);
  const summary = await decoder.end();
  t.ok(decoder.readObject(ids[0]!), 'read back before close');
  decoder.close();
  t.equal(decoder.table.count, summary.objectCount, 'the table stays (an idx can still be written)');
  t.equal(decoder.checksum?.toString('hex'), summary.checksum);
  t.throws(() => decoder.readObject(ids[0]!), { message: 'PackDecoder.readObject: the decoder is closed' });
  t.throws(() => decoder.write(pack), { message: 'PackDecoder.write: the decoder is closed' });
});

t.test('object contents handed to onObject are the objects git has', async (t) => {
  const pack = makePackWithGit(repo, { revs: ['main', '^main~3'] });
  const contents = new Map<string, Buffer>();
  const decoder = new PackDecoder({ onObject: (o) => contents.set(o.id, Buffer.from(o.content)) });
  decoder.write(pack);
  await decoder.end();
  decoder.close();
  t.ok(contents.size > 5);
  for (const [id, content] of contents) {
    t.ok(git(['cat-file', '-p', id], { cwd: repo }).length > 0);
    const raw = git(['cat-file', (git(['cat-file', '-t', id], { cwd: repo }).toString().trim()), id], { cwd: repo });
    if (!raw.equals(content)) t.fail(`content of ${id} differs from git cat-file`);
  }
});

t.test('readObject reads every object back after end(), with a tiny cache and thin-pack bases', async (t) => {
  const thin = makePackWithGit(repo, { revs: ['main', '^main~10'], thin: true, depth: 250, window: 50 });
  const repoObjects = allObjectsWithGit(repo);
  const ids: string[] = [];
  const decoder = new PackDecoder({ baseCacheBytes: 16 * 1024, resolveExternalBase: async (id) => repoObjects.get(id), onObject: (o) => ids.push(o.id) });
  try {
    t.throws(() => decoder.readObject(ids[0] ?? '00'.repeat(20)), /only after end/);
    for (let pos = 0; pos < thin.length; pos += 4096) decoder.write(thin.subarray(pos, pos + 4096));
    const summary = await decoder.end();
    t.ok(summary.externalBaseCount > 0);
    // Backwards, so most reads miss the small cache and rebuild along the delta chain.
    for (const id of [...ids].reverse()) {
      const object = decoder.readObject(id)!;
      const expected = repoObjects.get(id)!;
      if (object.type !== expected.type || !object.content.equals(expected.content)) {
        t.fail(`object ${id} read back differs from git's`);
        return;
      }
    }
    t.pass(`${ids.length} objects read back equal git's`);
    t.equal(decoder.readObject('ab'.repeat(20)), undefined, 'an id not in the pack');
    // The decoder reuses its buffers for what it reads from the spool: what it returns must not share them.
    const kept = ids.map((id) => [id, decoder.readObject(id)!.content] as const);
    t.ok(kept.every(([id, content]) => content.equals(repoObjects.get(id)!.content)), 'every object read back is still intact after all the others were read');
  } finally {
    decoder.close();
  }
});
