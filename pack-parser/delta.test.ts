import t from 'tap';
import { makeDelta } from '../testdata/pack-builder.js';
import { applyDelta, readDeltaSizes } from './delta.js';

t.test('copy and insert instructions rebuild the target', async (t) => {
  const base = Buffer.from('The quick brown fox jumps over the lazy dog');
  const delta = makeDelta(base.length, 19, [{ copy: [4, 5] }, { insert: Buffer.from(' red ') }, { copy: [16, 9] }]);
  t.equal(applyDelta(base, delta).toString(), 'quick red fox jumps');
  t.same(readDeltaSizes(delta), { baseSize: base.length, resultSize: 19, opsStart: 2 });
});

t.test('a copy of size 0 means 65536 bytes, and large offsets use the fourth offset byte', async (t) => {
  const base = Buffer.alloc(0x1000000 + 70000);
  base.fill(7, 0x1000000);
  // Sizes from makeDelta, then a hand-assembled copy: offset byte 3 only (0x01 -> 0x1000000), no size bytes.
  const delta = Buffer.concat([makeDelta(base.length, 65536, []), Buffer.from([0x80 | 0x08, 0x01])]);
  const result = applyDelta(base, delta);
  t.equal(result.length, 65536);
  t.ok(result.every((b) => b === 7));
});

t.test('malformed deltas are typed errors', async (t) => {
  const base = Buffer.from('abcdef');
  t.throws(() => applyDelta(base, Buffer.from([0x06])), { code: 'PACK_DELTA_CORRUPT' }, 'no result size');
  t.throws(() => applyDelta(base, Buffer.from([0x06, 0x02, 0x00])), { code: 'PACK_DELTA_CORRUPT' }, 'reserved instruction');
  t.throws(() => applyDelta(base, Buffer.from([0x06, 0x02, 0x91, 0x05, 0x02])), { code: 'PACK_DELTA_OUT_OF_RANGE' }, 'copy beyond base');
  t.throws(() => applyDelta(base, Buffer.from([0x06, 0x02, 0x05, 0x61])), { code: 'PACK_DELTA_OUT_OF_RANGE' }, 'insert beyond delta');
  t.throws(() => applyDelta(base, Buffer.from([0x06, 0x02, 0x91])), { code: 'PACK_DELTA_CORRUPT' }, 'copy cut short');
  t.throws(() => applyDelta(base, Buffer.from([0x06, 0x05, 0x01, 0x61])), { code: 'PACK_DELTA_CORRUPT' }, 'result shorter than announced');
  t.throws(() => applyDelta(base, Buffer.from([0x07, 0x01, 0x01, 0x61])), { code: 'PACK_DELTA_CORRUPT' }, 'wrong base size');
  t.throws(() => applyDelta(base, makeDelta(6, 100, [{ copy: [0, 6] }]), 50), { code: 'PACK_LIMIT_OBJECT_SIZE' });
});
