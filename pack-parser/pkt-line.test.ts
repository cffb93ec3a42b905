import t from 'tap';
import { SeededRandom } from '../testdata/seeded-random.js';
import { isPackParserError } from './errors.js';
import {
  DELIM_PKT,
  FLUSH_PKT,
  MAX_PKT_LINE_DATA,
  MAX_PKT_LINE_LENGTH,
  PktLineReader,
  RESPONSE_END_PKT,
  pktLine,
  type PktLine,
} from './pkt-line.js';

/** Splits `stream` into chunks of the sizes `nextSize` gives and reads every packet. */
function readInChunks(stream: Buffer, nextSize: () => number): { packets: PktLine[]; remainder: Buffer } {
  const reader = new PktLineReader();
  const packets: PktLine[] = [];
  for (let position = 0; position < stream.length; ) {
    const size = Math.max(1, nextSize());
    reader.push(stream.subarray(position, position + size));
    position += size;
    for (let packet = reader.read(); packet !== undefined; packet = reader.read()) {
      // copy: the packet may share memory with a chunk
      packets.push(packet.kind === 'data' ? { kind: 'data', data: Buffer.from(packet.data) } : packet);
    }
  }
  return { packets, remainder: reader.takeRemainder() };
}

const big = Buffer.alloc(MAX_PKT_LINE_DATA, 0x61);
const sample = Buffer.concat([
  pktLine('hello\n'),
  pktLine(''),
  DELIM_PKT,
  pktLine(Buffer.from([0, 1, 2, 255])),
  pktLine(big),
  FLUSH_PKT,
  pktLine('after flush'),
  RESPONSE_END_PKT,
]);
const expected: PktLine[] = [
  { kind: 'data', data: Buffer.from('hello\n') },
  { kind: 'data', data: Buffer.alloc(0) },
  { kind: 'delim' },
  { kind: 'data', data: Buffer.from([0, 1, 2, 255]) },
  { kind: 'data', data: big },
  { kind: 'flush' },
  { kind: 'data', data: Buffer.from('after flush') },
  { kind: 'response-end' },
];

t.test('writer encodes lengths as git does', async (t) => {
  t.equal(pktLine('a\n').toString(), '0006a\n');
  t.equal(pktLine('').toString(), '0004');
  t.equal(pktLine(big).subarray(0, 4).toString(), 'fff0');
  t.equal(FLUSH_PKT.toString() + DELIM_PKT.toString() + RESPONSE_END_PKT.toString(), '000000010002');
  t.throws(() => pktLine(Buffer.alloc(MAX_PKT_LINE_DATA + 1)), { code: 'PKT_LINE_TOO_LONG' });
  t.equal(MAX_PKT_LINE_LENGTH, 65520);
});

t.test('the same packets whatever the chunking', async (t) => {
  t.same(readInChunks(sample, () => sample.length).packets, expected, 'whole');
  t.same(readInChunks(sample, () => 1).packets, expected, '1-byte chunks');
  const random = new SeededRandom(7);
  for (let round = 0; round < 50; round++) {
    const maxChunk = random.pick([3, 17, 1000, 70000]);
    const { packets, remainder } = readInChunks(sample, () => random.int(1, maxChunk));
    t.same(packets, expected, `random split ${round} (chunks up to ${maxChunk})`);
    t.equal(remainder.length, 0);
  }
});

t.test('upper-case hex lengths are accepted, as git does', async (t) => {
  const reader = new PktLineReader();
  reader.push(Buffer.from('000Aabcdef'));
  t.same(reader.read(), { kind: 'data', data: Buffer.from('abcdef') });
});

t.test('stops at a flush and hands back the rest unconsumed', async (t) => {
  const tail = Buffer.from('PACK\0\0\0\x02 raw bytes that are not pkt-lines', 'latin1');
  const stream = Buffer.concat([pktLine('command'), FLUSH_PKT, tail]);
  for (const size of [1, 2, 5, 13, stream.length]) {
    const reader = new PktLineReader();
    const seen: PktLine[] = [];
    let position = 0;
    let sawFlush = false;
    while (!sawFlush && position < stream.length) {
      reader.push(stream.subarray(position, position + size));
      position += size;
      for (let packet = reader.read(); packet !== undefined; packet = reader.read()) {
        seen.push(packet);
        if (packet.kind === 'flush') {
          sawFlush = true;
          break;
        }
      }
    }
    t.equal(seen.length, 2);
    t.equal(reader.offset, 4 + 7 + 4);
    const rest = Buffer.concat([reader.takeRemainder(), stream.subarray(position)]);
    t.same(rest, tail, `chunk size ${size}`);
    t.throws(() => reader.push(Buffer.from('x')), /after takeRemainder/);
  }
});

t.test('malformed lengths give their codes', async (t) => {
  const cases: [string, Buffer, string][] = [
    ['non-hex digit', Buffer.from('00g5x'), 'PKT_LINE_BAD_LENGTH'],
    ['sign', Buffer.from('-001x'), 'PKT_LINE_BAD_LENGTH'],
    ['space', Buffer.from(' 005x'), 'PKT_LINE_BAD_LENGTH'],
    ['length 3', Buffer.from('0003'), 'PKT_LINE_BAD_LENGTH'],
    ['length 65521', Buffer.from('fff1'), 'PKT_LINE_TOO_LONG'],
    ['length ffff', Buffer.from('ffff'), 'PKT_LINE_TOO_LONG'],
  ];
  for (const [name, stream, code] of cases) {
    for (const size of [1, stream.length]) {
      const reader = new PktLineReader();
      let error: unknown;
      try {
        for (let position = 0; position < stream.length; position += size) {
          reader.push(stream.subarray(position, position + size));
          while (reader.read() !== undefined);
        }
      } catch (caught) {
        error = caught;
      }
      t.ok(isPackParserError(error, code as never), `${name} (chunks of ${size}): ${String(error)}`);
    }
  }
  const truncated = new PktLineReader();
  truncated.push(Buffer.from('000ahel'));
  t.equal(truncated.read(), undefined);
  t.throws(() => truncated.end(), { code: 'PKT_LINE_TRUNCATED', offset: 0 });
  const complete = new PktLineReader();
  complete.push(FLUSH_PKT);
  complete.read();
  t.doesNotThrow(() => complete.end());
});

t.test('a bad length after good packets reports its offset', async (t) => {
  const reader = new PktLineReader();
  reader.push(Buffer.concat([pktLine('ok'), Buffer.from('zzzz')]));
  t.ok(reader.read());
  t.throws(() => reader.read(), { code: 'PKT_LINE_BAD_LENGTH', offset: 6 });
});

t.test('many 1-byte chunks of a large packet stay linear', async (t) => {
  const packets = Array.from({ length: 20 }, () => pktLine(big));
  const stream = Buffer.concat(packets);
  const started = performance.now();
  const { packets: read } = readInChunks(stream, () => 1);
  const elapsed = performance.now() - started;
  t.equal(read.length, 20);
  // A guard against quadratic buffering (1.3 M chunks would take hours), not a speed test.
  t.ok(elapsed < 20_000, `1.3 MB in 1-byte chunks took ${elapsed.toFixed(0)} ms`);
});
