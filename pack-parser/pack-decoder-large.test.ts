import t from 'tap';
import { buildPack, makeDelta, type HandMadeEntry } from '../testdata/pack-builder.js';
import { indexPackWithGit, type GitVerifiedObject } from '../testdata/pack-fixtures.js';
import { objectId } from './object-id.js';
import { writeIdxV2 } from './idx-writer.js';
import { PackDecoder, type DecodedObject } from './pack-decoder.js';

/**
 * Objects too large for the base cache (a quarter of its budget): whole ones are hashed where they
 * are rather than copied behind their header, and deltas against them wait for `end()`, which
 * resolves them in turns so that the event loop is not blocked for the whole time.
 */

const hex = (id: Buffer) => id.toString('hex');

function textOf(lines: number, label: string): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < lines; i++) parts.push(`${label} line ${i} of a large file\n`);
  return Buffer.from(parts.join(''));
}

/** An OFS_DELTA to entry `baseEntry` that puts `head` before the whole base. */
function prepend(base: Buffer, baseEntry: number, head: string): { entry: HandMadeEntry; content: Buffer } {
  const insert = Buffer.from(head);
  const content = Buffer.concat([insert, base]);
  const delta = makeDelta(base.length, content.length, [{ insert }, { copy: [0, base.length] }]);
  return { entry: { kind: 'ofs-delta', baseDistance: 'to-entry', baseEntry, delta }, content };
}

/** Writes all of `pack` into `decoder`; the test calls `end()`. */
function writeAll(decoder: PackDecoder, pack: Buffer, chunkSize = 1 << 16): PackDecoder {
  for (let pos = 0; pos < pack.length; pos += chunkSize) decoder.write(pack.subarray(pos, pos + chunkSize));
  return decoder;
}

/** What `git verify-pack -v` also says of an object: offset, id, type, size, depth, base. */
type Row = [number, string, string, number, number, string | undefined];
const decodedRow = (o: DecodedObject): Row => [o.offset, o.id, o.type, o.entrySize, o.depth, o.baseId];
const verifyPackRow = (o: GitVerifiedObject): Row => [o.offset, o.id, o.type, o.size, o.depth, o.baseId];

t.test('ids of objects too large for the base cache equal those git index-pack finds', async (t) => {
  // Default cache: 8 MiB, objects up to 2 MiB kept. The blob and the tree are over that.
  const bigBlob = textOf(90_000, 'big');
  const bigBlobId = objectId('sha1', 'blob', bigBlob);
  const treeEntries: Buffer[] = [];
  for (let i = 0; i < 70_000; i++) treeEntries.push(Buffer.from(`100644 f${String(i).padStart(6, '0')}\0`), bigBlobId);
  const bigTree = Buffer.concat(treeEntries);
  t.ok(bigBlob.length > 2 * 1024 * 1024 && bigTree.length > 2 * 1024 * 1024, `blob ${bigBlob.length} and tree ${bigTree.length} bytes`);
  const first = prepend(bigBlob, 0, 'first edit\n');
  const second = prepend(first.content, 2, 'second edit\n');
  const pack = buildPack([
    { kind: 'blob', content: bigBlob },
    { kind: 'blob', content: Buffer.from('a small blob\n') },
    first.entry,
    second.entry,
    { kind: 'tree', content: bigTree },
  ]);
  const expected = indexPackWithGit(pack);
  const rows: Row[] = [];
  const decoder = writeAll(new PackDecoder({ onObject: (o) => rows.push(decodedRow(o)) }), pack);
  try {
    const summary = await decoder.end();
    t.equal(summary.deltaCount, 2);
    t.same(
      rows.sort((a, b) => a[0] - b[0]),
      expected.objects.map(verifyPackRow).sort((a, b) => a[0] - b[0]),
      'every offset, id, type, size, depth and base equal git verify-pack -v',
    );
    t.ok(writeIdxV2(decoder.table, decoder.checksum!).equals(expected.idx), 'idx is byte-identical to git index-pack');

    const read = decoder.readObject(bigBlobId)!;
    t.equal(read.type, 'blob');
    t.ok(read.content.equals(bigBlob), 'a large blob reads back whole');
    read.content.fill(0);
    t.ok(decoder.readObject(bigBlobId)!.content.equals(bigBlob), 'what readObject returns is the caller’s own');
    t.ok(decoder.readObject(objectId('sha1', 'blob', second.content))!.content.equals(second.content), 'a large delta result reads back');
  } finally {
    decoder.close();
  }
});

/**
 * A base too large for a 64 KiB cache (it keeps objects up to 16 KiB), PAIRS deltas against it and
 * a delta on each of those: every delta waits for end(), which resolves them depth first.
 */
const PAIRS = 150;
const turnsBase = textOf(30_000, 'base');
const turnsEntries: HandMadeEntry[] = [{ kind: 'blob', content: turnsBase }];
const turnsExpected: { first: string; second: string }[] = [];
for (let i = 0; i < PAIRS; i++) {
  const first = prepend(turnsBase, 0, `edit ${i}\n`);
  turnsEntries.push(first.entry);
  const second = prepend(first.content, turnsEntries.length - 1, `edit on edit ${i}\n`);
  turnsEntries.push(second.entry);
  turnsExpected.push({ first: hex(objectId('sha1', 'blob', first.content)), second: hex(objectId('sha1', 'blob', second.content)) });
}
const turnsPack = buildPack(turnsEntries);

/** Counts the turns other tasks get while `work` runs; `onTurn` runs in each. */
async function countTurns<T>(work: () => Promise<T>, onTurn: (turn: number) => void = () => {}) {
  const state = { turns: 0, running: true };
  const spin = (): void => {
    if (!state.running) return;
    state.turns++;
    onTurn(state.turns);
    setImmediate(spin);
  };
  setImmediate(spin);
  try {
    return { result: await work(), state };
  } finally {
    state.running = false;
  }
}

t.test('end() lets other tasks run while it resolves many deferred deltas, with the same results', async (t) => {
  const ids: string[] = [];
  const turnAtObject: number[] = [];
  const state = { turns: 0 };
  const onObject = (o: DecodedObject) => {
    ids.push(o.id);
    turnAtObject.push(state.turns);
  };
  const decoder = writeAll(new PackDecoder({ baseCacheBytes: 64 * 1024, onObject }), turnsPack, turnsPack.length);
  try {
    t.equal(ids.length, 1, 'only the base is reported before end()');
    const counted = await countTurns(() => decoder.end(), (turn) => (state.turns = turn));
    t.equal(counted.result.deltaCount, 2 * PAIRS);
    t.ok(counted.state.turns > 0, `other tasks ran ${counted.state.turns} times during end()`);
    t.ok(turnAtObject.at(-1)! > turnAtObject[1]!, 'the deltas were resolved across several turns');

    t.same(new Set(ids.slice(1)), new Set(turnsExpected.flatMap((e) => [e.first, e.second])), 'every delta, with its right id');
    const depthFirst = turnsExpected.every((e) => ids[ids.indexOf(e.first) + 1] === e.second);
    t.ok(depthFirst, 'depth first: each delta of a delta comes right after its base');
    t.ok(decoder.readObject(turnsExpected[7]!.second), 'objects read back after end()');
  } finally {
    decoder.close();
  }
});

t.test('write() puts deltas off until end() once it has worked 20 ms, so one chunk cannot hold the event loop', async (t) => {
  // A 256 KiB base the cache keeps, and 24 deltas of 8 MiB each made of 32 copies of it, in one
  // chunk of 18 kB: resolved inside write(), they held the event loop for all 192 MiB of them.
  const base = textOf(8000, 'cached base').subarray(0, 256 * 1024);
  const entries: HandMadeEntry[] = [{ kind: 'blob', content: base }];
  const expected = new Set<string>();
  for (let i = 0; i < 24; i++) {
    const insert = Buffer.from(`copy ${i}\n`);
    const copies = Array.from({ length: 32 }, () => ({ copy: [0, base.length] as [number, number] }));
    entries.push({ kind: 'ofs-delta', baseDistance: 'to-entry', baseEntry: 0, delta: makeDelta(base.length, insert.length + 32 * base.length, [{ insert }, ...copies]) });
    expected.add(hex(objectId('sha1', 'blob', Buffer.concat([insert, ...Array.from({ length: 32 }, () => base)]))));
  }
  const pack = buildPack(entries);
  t.ok(pack.length < 64 * 1024, `${pack.length} bytes of pack: one read from a socket`);
  const ids: string[] = [];
  const decoder = new PackDecoder({ baseCacheBytes: 32 * 1024 * 1024, onObject: (o) => ids.push(o.id) });
  try {
    const started = performance.now();
    decoder.write(pack);
    const writeMs = performance.now() - started;
    const duringWrite = ids.length - 1;
    t.ok(duringWrite >= 1 && duringWrite < 24, `write() resolved ${duringWrite} of the 24 deltas in ${writeMs.toFixed(0)} ms, the rest wait`);
    const counted = await countTurns(() => decoder.end());
    t.ok(counted.state.turns > 1, `other tasks ran ${counted.state.turns} times during end()`);
    t.same(new Set(ids.slice(1)), expected, 'every delta, with its right id');
    t.equal(counted.result.deltaCount, 24);
  } finally {
    decoder.close();
  }
});

t.test('close() while end() waits for its turn makes end() fail, not crash', async (t) => {
  const decoder = writeAll(new PackDecoder({ baseCacheBytes: 64 * 1024 }), turnsPack);
  await t.rejects(
    countTurns(
      () => decoder.end(),
      (turn) => turn === 1 && decoder.close(),
    ),
    /closed before end\(\) had resolved/,
  );
  t.throws(() => decoder.readObject(turnsExpected[0]!.first), /only after end/, 'nothing can be read back');
});

t.test('rebuilding a delta chain counts against maxResolvedBytes, like resolving it', async (t) => {
  // A chain of 40 deltas of about 120 KiB each; a cache too small to keep any of them, so reading
  // the last one back rebuilds the whole chain from the base.
  const entries: HandMadeEntry[] = [{ kind: 'blob', content: textOf(4000, 'root') }];
  let content = (entries[0] as { content: Buffer }).content;
  for (let i = 1; i <= 40; i++) {
    const next = prepend(content, i - 1, `link ${i}\n`);
    entries.push(next.entry);
    content = next.content;
  }
  const pack = buildPack(entries);
  const ids: string[] = [];
  let resolvedBytes = 0;
  const resolved = new PackDecoder({
    baseCacheBytes: 64 * 1024,
    onObject: (o) => {
      ids.push(o.id);
      resolvedBytes += o.size;
    },
  });
  const summary = await writeAll(resolved, pack).end();
  const lastId = ids.at(-1)!;
  t.ok(resolved.readObject(lastId)!.content.equals(content), 'read back whole without a limit in the way');
  resolved.close();

  // Allow what resolving takes, and half of a second pass over the chain.
  const limited = new PackDecoder({ baseCacheBytes: 1024, limits: { maxResolvedBytes: Math.round(resolvedBytes * 1.5) } });
  t.equal((await writeAll(limited, pack).end()).objectCount, summary.objectCount, 'resolving fits');
  t.throws(() => limited.readObject(lastId), { code: 'PACK_LIMIT_OBJECT_SIZE', message: /resolved objects exceed the limit/ }, 'rebuilding the chain does not');
  limited.close();
});

t.test('maxResolvedRatio bounds what a small pack may resolve, past its floor', async (t) => {
  // 20 deltas, each 1 MiB made of 16 copies of one 64 KiB base: a few kB of pack.
  const base = textOf(2000, 'base').subarray(0, 64 * 1024);
  const copies = Array.from({ length: 16 }, () => ({ copy: [0, base.length] as [number, number] }));
  const entries: HandMadeEntry[] = [{ kind: 'blob', content: base }];
  for (let i = 0; i < 20; i++) entries.push({ kind: 'ofs-delta', baseDistance: 'to-entry', baseEntry: 0, delta: makeDelta(base.length, 16 * base.length, copies) });
  const pack = buildPack(entries);
  t.ok(pack.length < 64 * 1024, `${pack.length} bytes of pack for 21 MiB of objects`);
  const unlimited = new PackDecoder();
  t.equal((await writeAll(unlimited, pack).end()).objectCount, 21, 'no ratio by default');
  unlimited.close();
  const limits = { maxResolvedRatio: 100, resolvedRatioFloorBytes: 4 * 1024 * 1024 };
  const limited = new PackDecoder({ limits });
  await t.rejects(
    (async () => writeAll(limited, pack).end())(),
    { code: 'PACK_LIMIT_OBJECT_SIZE', message: new RegExp(`^resolved objects exceed 100 times the ${pack.length} bytes of pack received \\(past 4194304 bytes\\)$`) },
  );
  limited.close();
  const floorOnly = new PackDecoder({ limits: { ...limits, resolvedRatioFloorBytes: 32 * 1024 * 1024 } });
  t.equal((await writeAll(floorOnly, pack).end()).objectCount, 21, 'within the floor: any ratio');
  floorOnly.close();
});
