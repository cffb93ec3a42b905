import t, { type Test } from 'tap';
import { deflateSync } from 'node:zlib';
import { buildPack, makeDelta, resealPack, type HandMadeEntry } from '../testdata/pack-builder.js';
import { objectId } from './object-id.js';
import { PackDecoder, type PackDecoderOptions } from './pack-decoder.js';
import type { PackParserErrorCode } from './errors.js';

async function decode(pack: Buffer, options: PackDecoderOptions = {}, chunkSize = 1 << 20) {
  const decoder = new PackDecoder(options);
  try {
    for (let pos = 0; pos < pack.length; pos += chunkSize) decoder.write(pack.subarray(pos, pos + chunkSize));
    return await decoder.end();
  } finally {
    decoder.close();
  }
}

/** Each malformation must give its code, at every chunk size, and never hang or crash. */
async function expectCode(t: Test, pack: Buffer, code: PackParserErrorCode, options: PackDecoderOptions = {}) {
  for (const chunkSize of [1, 7, 4096, 1 << 20]) {
    await t.rejects(decode(pack, options, chunkSize), { code }, `${code} with ${chunkSize}-byte chunks`);
  }
}

const text = (s: string) => Buffer.from(s);
const baseBlob = text('line one\nline two\nline three\n'.repeat(20));
const good: HandMadeEntry[] = [
  { kind: 'blob', content: baseBlob },
  {
    kind: 'ofs-delta',
    baseDistance: 'to-entry',
    baseEntry: 0,
    delta: makeDelta(baseBlob.length, 30, [{ copy: [0, 20] }, { insert: text('0123456789') }]),
  },
];

t.test('a well-formed hand-made pack decodes (the base for the malformed variants)', async (t) => {
  const summary = await decode(buildPack(good));
  t.equal(summary.objectCount, 2);
  t.equal(summary.deltaCount, 1);
});

t.test('truncated anywhere: PACK_TRUNCATED', async (t) => {
  const pack = buildPack(good);
  for (const cut of [5, 12, 13, 20, pack.length - 30, pack.length - 21, pack.length - 1]) {
    await t.rejects(decode(pack.subarray(0, cut)), { code: 'PACK_TRUNCATED' }, `cut at ${cut} of ${pack.length}`);
  }
  await t.rejects(decode(Buffer.alloc(0)), { code: 'PACK_TRUNCATED' }, 'empty input');
});

t.test('wrong trailing checksum: PACK_CHECKSUM_MISMATCH', async (t) => {
  await expectCode(t, buildPack(good, { corruptTrailer: true }), 'PACK_CHECKSUM_MISMATCH');
});

t.test('not a pack, or an unknown version', async (t) => {
  await expectCode(t, Buffer.from('GIT PACK FILE, HONEST, 12345678901234567890'), 'PACK_BAD_SIGNATURE');
  await expectCode(t, buildPack(good, { version: 4 }), 'PACK_UNSUPPORTED_VERSION');
});

t.test('corrupt zlib data: PACK_ZLIB_ERROR', async (t) => {
  const raw = deflateSync(baseBlob);
  raw[raw.length - 2]! ^= 0x55; // the adler32 checksum no longer matches
  await expectCode(t, buildPack([{ kind: 'blob', content: baseBlob, rawData: raw }]), 'PACK_ZLIB_ERROR');
  const garbage = Buffer.from(deflateSync(baseBlob));
  garbage[0] = 0x00; // not a zlib header
  await expectCode(t, buildPack([{ kind: 'blob', content: baseBlob, rawData: garbage }]), 'PACK_ZLIB_ERROR');
});

t.test('declared size differs from the inflated size: PACK_SIZE_MISMATCH', async (t) => {
  await expectCode(t, buildPack([{ kind: 'blob', content: baseBlob, declaredSize: baseBlob.length + 5 }]), 'PACK_SIZE_MISMATCH');
  await expectCode(t, buildPack([{ kind: 'blob', content: baseBlob, declaredSize: baseBlob.length - 5 }]), 'PACK_SIZE_MISMATCH');
});

t.test('invalid object types: PACK_BAD_OBJECT_TYPE', async (t) => {
  const pack = Buffer.from(buildPack([{ kind: 'blob', content: baseBlob }]));
  pack[12] = (pack[12]! & 0x8f) | (5 << 4);
  await expectCode(t, resealPack(pack), 'PACK_BAD_OBJECT_TYPE');
});

t.test('delta copy outside the base: PACK_DELTA_OUT_OF_RANGE', async (t) => {
  const pack = buildPack([
    good[0]!,
    { kind: 'ofs-delta', baseDistance: 'to-entry', baseEntry: 0, delta: makeDelta(baseBlob.length, 20, [{ copy: [baseBlob.length - 5, 20] }]) },
  ]);
  await expectCode(t, pack, 'PACK_DELTA_OUT_OF_RANGE');
  const insertPastEnd = buildPack([
    good[0]!,
    { kind: 'ofs-delta', baseDistance: 'to-entry', baseEntry: 0, delta: Buffer.concat([makeDelta(baseBlob.length, 3, []), Buffer.from([10, 1, 2])]) },
  ]);
  await expectCode(t, insertPastEnd, 'PACK_DELTA_OUT_OF_RANGE');
});

t.test('delta base size or result size wrong: PACK_DELTA_CORRUPT', async (t) => {
  await expectCode(t, buildPack([
    good[0]!,
    { kind: 'ofs-delta', baseDistance: 'to-entry', baseEntry: 0, delta: makeDelta(baseBlob.length + 1, 5, [{ copy: [0, 5] }]) },
  ]), 'PACK_DELTA_CORRUPT');
  await expectCode(t, buildPack([
    good[0]!,
    { kind: 'ofs-delta', baseDistance: 'to-entry', baseEntry: 0, delta: makeDelta(baseBlob.length, 50, [{ copy: [0, 5] }]) },
  ]), 'PACK_DELTA_CORRUPT');
});

t.test('OFS_DELTA offsets before the pack start, at itself, or not at an object: PACK_BAD_OFS_DELTA', async (t) => {
  const delta = makeDelta(baseBlob.length, 5, [{ copy: [0, 5] }]);
  await expectCode(t, buildPack([good[0]!, { kind: 'ofs-delta', baseDistance: 100_000, delta }]), 'PACK_BAD_OFS_DELTA');
  await expectCode(t, buildPack([good[0]!, { kind: 'ofs-delta', baseDistance: 0, delta }]), 'PACK_BAD_OFS_DELTA');
  await expectCode(t, buildPack([good[0]!, { kind: 'ofs-delta', baseDistance: 3, delta }]), 'PACK_BAD_OFS_DELTA');
});

t.test('object count in the header does not match the entries: PACK_OBJECT_COUNT_MISMATCH', async (t) => {
  await expectCode(t, buildPack(good, { declaredCount: 3 }), 'PACK_OBJECT_COUNT_MISMATCH');
  await expectCode(t, buildPack(good, { declaredCount: 1 }), 'PACK_OBJECT_COUNT_MISMATCH');
});

t.test('bytes after the checksum: PACK_TRAILING_DATA', async (t) => {
  await expectCode(t, Buffer.concat([buildPack(good), Buffer.from('extra bytes here, not a pack entry')]), 'PACK_TRAILING_DATA');
});

t.test('REF_DELTA to an id nobody has: PACK_DELTA_BASE_MISSING', async (t) => {
  const pack = buildPack([{ kind: 'ref-delta', baseId: Buffer.alloc(20, 0xab), delta: makeDelta(3, 3, [{ copy: [0, 3] }]) }]);
  await expectCode(t, pack, 'PACK_DELTA_BASE_MISSING');
  await expectCode(t, pack, 'PACK_DELTA_BASE_MISSING', { resolveExternalBase: async () => undefined });
});

t.test('a base source that returns the wrong object is refused', async (t) => {
  const pack = buildPack([{ kind: 'ref-delta', baseId: Buffer.alloc(20, 0xab), delta: makeDelta(3, 3, [{ copy: [0, 3] }]) }]);
  await expectCode(t, pack, 'PACK_DELTA_BASE_MISSING', {
    resolveExternalBase: async () => ({ type: 'blob', content: Buffer.from('abc') }),
  });
});

t.test('REF_DELTAs that are each other\'s base never resolve: PACK_DELTA_BASE_MISSING or CYCLE', async (t) => {
  const a = objectId('sha1', 'blob', Buffer.from('aaa'));
  const b = objectId('sha1', 'blob', Buffer.from('bbb'));
  const pack = buildPack([
    { kind: 'ref-delta', baseId: b, delta: makeDelta(3, 3, [{ insert: Buffer.from('aaa') }]) },
    { kind: 'ref-delta', baseId: a, delta: makeDelta(3, 3, [{ insert: Buffer.from('bbb') }]) },
  ]);
  await t.rejects(decode(pack), { code: /PACK_DELTA_(BASE_MISSING|CYCLE)/ });
});

t.test('in-pack REF_DELTA whose base comes later in the pack resolves', async (t) => {
  const baseId = objectId('sha1', 'blob', baseBlob);
  const pack = buildPack([
    { kind: 'ref-delta', baseId, delta: makeDelta(baseBlob.length, 4, [{ copy: [0, 4] }]) },
    { kind: 'blob', content: baseBlob },
  ]);
  const summary = await decode(pack, {}, 3);
  t.equal(summary.objectCount, 2);
  t.equal(summary.externalBaseCount, 0);
});

t.test('REF_DELTA to a later REF_DELTA, itself based on a later blob, resolves each object once', async (t) => {
  // The second delta waits for the first's result, which is known only once the blob has come.
  const baseId = objectId('sha1', 'blob', baseBlob);
  const firstResult = baseBlob.subarray(0, 40);
  const pack = buildPack([
    { kind: 'ref-delta', baseId, delta: makeDelta(baseBlob.length, 40, [{ copy: [0, 40] }]) },
    { kind: 'ref-delta', baseId: objectId('sha1', 'blob', firstResult), delta: makeDelta(40, 10, [{ copy: [0, 10] }]) },
    { kind: 'blob', content: baseBlob },
  ]);
  for (const chunkSize of [1, 7, 1 << 20]) {
    const reported: number[] = [];
    const summary = await decode(pack, { onObject: (o) => reported.push(o.index) }, chunkSize);
    t.equal(summary.objectCount, 3);
    t.same(reported.sort(), [0, 1, 2], `each object reported once with ${chunkSize}-byte chunks`);
  }
});

t.test('limits: each gives its own code', async (t) => {
  await expectCode(t, buildPack(good), 'PACK_LIMIT_OBJECT_SIZE', { limits: { maxObjectSize: 100 } });
  await expectCode(t, buildPack(good), 'PACK_LIMIT_OBJECT_COUNT', { limits: { maxObjectCount: 1 } });
  await expectCode(t, buildPack(good), 'PACK_LIMIT_PACK_BYTES', { limits: { maxPackBytes: 40 } });
  await expectCode(t, buildPack(good), 'PACK_LIMIT_DELTA_DEPTH', { limits: { maxDeltaDepth: 0.5 } });
  const zeros = Buffer.alloc(4 * 1024 * 1024);
  await t.rejects(
    decode(buildPack([{ kind: 'blob', content: zeros }]), { limits: { maxInflateRatio: 100 } }),
    { code: 'PACK_LIMIT_INFLATE_RATIO' },
  );
  const bigResult = makeDelta(baseBlob.length, 5 * 65536, Array.from({ length: 5 }, () => ({ copy: [0, 65536] as [number, number] })));
  await t.rejects(
    decode(buildPack([{ kind: 'blob', content: Buffer.alloc(65536, 1) }, { kind: 'ofs-delta', baseDistance: 'to-entry', baseEntry: 0, delta: bigResult }])),
    { code: /PACK_DELTA_CORRUPT/ },
    'delta whose base size is wrong',
  );
  const copyBomb = makeDelta(65536, 5 * 65536, Array.from({ length: 5 }, () => ({ copy: [0, 65536] as [number, number] })));
  await t.rejects(
    decode(buildPack([{ kind: 'blob', content: Buffer.alloc(65536, 1) }, { kind: 'ofs-delta', baseDistance: 'to-entry', baseEntry: 0, delta: copyBomb }]), {
      limits: { maxObjectSize: 200_000 },
    }),
    { code: 'PACK_LIMIT_OBJECT_SIZE' },
    'a delta may not build an object beyond the object size limit',
  );
  await t.rejects(
    decode(buildPack([{ kind: 'blob', content: Buffer.alloc(65536, 1) }, { kind: 'ofs-delta', baseDistance: 'to-entry', baseEntry: 0, delta: copyBomb }]), {
      limits: { maxResolvedBytes: 300_000 },
    }),
    { code: 'PACK_LIMIT_OBJECT_SIZE' },
    'total resolved bytes are bounded',
  );
  t.throws(() => new PackDecoder({ limits: { maxObjectSize: -1 } }), /maxObjectSize/);
});

t.test('after an error, further writes fail with the same error and do not crash', async (t) => {
  const decoder = new PackDecoder();
  t.throws(() => decoder.write(Buffer.from('NOTAPACK-----------')), { code: 'PACK_BAD_SIGNATURE' });
  t.throws(() => decoder.write(Buffer.from('more')), { code: 'PACK_BAD_SIGNATURE' });
  await t.rejects(decoder.end(), { code: 'PACK_BAD_SIGNATURE' });
  decoder.close();
});

t.test('an empty pack (zero objects) decodes', async (t) => {
  const summary = await decode(buildPack([]));
  t.equal(summary.objectCount, 0);
});
