import t from 'tap';
import { deflateSync } from 'node:zlib';
import { createInflater } from './zlib-inflater.js';

const text = Buffer.from('the same answers from both inflaters '.repeat(300));
const stream = Buffer.concat([deflateSync(text), Buffer.from('whatever follows the stream')]);
const corrupt = Buffer.from(stream);
corrupt[20]! ^= 0x5a;

for (const preferPublicApi of [false, true]) {
  t.test(`inflater (${preferPublicApi ? 'public API' : 'reused zlib state where available'})`, async (t) => {
    const inflater = createInflater({ preferPublicApi });
    if (preferPublicApi) t.equal(inflater.reusesState, false);
    const done = inflater.inflate(stream, text.length);
    t.equal(done.kind, 'done');
    if (done.kind === 'done') {
      t.ok(done.data.equals(text));
      t.equal(done.consumed, stream.length - 'whatever follows the stream'.length, 'reports where the stream ended');
    }
    t.same(inflater.inflate(stream.subarray(0, 40), text.length), { kind: 'short' });
    t.same(inflater.inflate(stream, text.length - 10), { kind: 'too-large' });
    t.equal(inflater.inflate(corrupt, text.length).kind, 'corrupt');
    const again = inflater.inflate(stream, text.length);
    t.ok(again.kind === 'done' && again.data.equals(text), 'usable again after errors');
    const empty = inflater.inflate(deflateSync(Buffer.alloc(0)), 0);
    t.ok(empty.kind === 'done' && empty.data.length === 0);
  });
}

t.test('on this Node the reused-state inflater passes its self-test', async (t) => {
  t.equal(createInflater().reusesState, true, `node ${process.version}`);
});

t.test('the reused-state inflater writes into the output it is given, when that is large enough', async (t) => {
  const inflater = createInflater();
  t.ok(inflater.reusesState, 'the reused-state inflater is the one in use here');
  const output = Buffer.alloc(text.length + 1);
  const into = inflater.inflate(stream, text.length, output);
  t.ok(into.kind === 'done' && into.data.equals(text), 'same data');
  t.ok(into.kind === 'done' && into.data.buffer === output.buffer && into.data.byteOffset === output.byteOffset, 'in the given output');
  const oneByteShort = Buffer.alloc(text.length);
  const fresh = inflater.inflate(stream, text.length, oneByteShort);
  t.ok(fresh.kind === 'done' && fresh.data.equals(text) && fresh.data.buffer !== oneByteShort.buffer, 'an output without room for the extra byte is not used');
  t.same(inflater.inflate(stream, text.length - 10, output), { kind: 'too-large' }, 'a stream longer than announced is still caught');
});
