import t from 'tap';
import { SeededRandom } from '../testdata/seeded-random.js';
import { FLUSH_PKT, pktLine } from './pkt-line.js';
import { SidebandDemuxer, encodeSideband, type SidebandChannel, type SidebandMode, type SidebandPacket } from './sideband.js';

/** Demuxes `stream` fed in chunks of the sizes `nextSize` gives; band data joined per channel. */
function demux(stream: Buffer, nextSize: () => number, mode?: SidebandMode) {
  const demuxer = new SidebandDemuxer(mode);
  const bands: Record<SidebandChannel, Buffer[]> = { 1: [], 2: [], 3: [] };
  const sequence: string[] = [];
  for (let position = 0; position < stream.length; ) {
    const size = Math.max(1, nextSize());
    demuxer.push(stream.subarray(position, position + size));
    position += size;
    for (let packet: SidebandPacket | undefined = demuxer.read(); packet !== undefined; packet = demuxer.read()) {
      if (packet.kind === 'band') {
        bands[packet.channel].push(Buffer.from(packet.data));
        sequence.push(`${packet.channel}:${packet.data.length}`);
      } else sequence.push(packet.kind);
    }
  }
  demuxer.end();
  return { data: Buffer.concat(bands[1]), progress: Buffer.concat(bands[2]).toString(), error: Buffer.concat(bands[3]).toString(), sequence };
}

const random = new SeededRandom(42);
const payload = random.bytes(200_000);

t.test('side-band-64k splits at 65520 bytes per packet, header and band byte included', async (t) => {
  const encoded = encodeSideband(1, payload);
  const lengths: number[] = [];
  for (let position = 0; position < encoded.length; ) {
    const length = parseInt(encoded.toString('latin1', position, position + 4), 16);
    t.equal(encoded[position + 4], 1);
    lengths.push(length);
    position += length;
  }
  t.same(lengths, [65520, 65520, 65520, 200_000 - 3 * 65515 + 5]);
  t.equal(encodeSideband(2, '').length, 0, 'empty data gives no packet');
});

t.test('old side-band keeps every packet within 1000 bytes', async (t) => {
  const encoded = encodeSideband(1, payload.subarray(0, 5000), 'side-band');
  t.equal(encoded.toString('latin1', 0, 4), '03e8');
  t.equal(encoded.length, 5000 + Math.ceil(5000 / 995) * 5);
  t.same(demux(encoded, () => 333, 'side-band').data, payload.subarray(0, 5000));
  const tooLong = encodeSideband(1, payload.subarray(0, 2000));
  t.throws(() => demux(tooLong, () => tooLong.length, 'side-band'), { code: 'PKT_LINE_TOO_LONG' });
});

t.test('round trip of interleaved bands, whatever the chunking', async (t) => {
  const stream = Buffer.concat([
    encodeSideband(2, 'Counting objects: 1\r'),
    encodeSideband(1, payload.subarray(0, 70_000)),
    encodeSideband(2, 'Counting objects: 2, done.\n'),
    encodeSideband(1, payload.subarray(70_000)),
    encodeSideband(3, 'fatal: out of luck\n'),
    FLUSH_PKT,
  ]);
  const whole = demux(stream, () => stream.length);
  t.same(whole.data, payload);
  t.equal(whole.progress, 'Counting objects: 1\rCounting objects: 2, done.\n');
  t.equal(whole.error, 'fatal: out of luck\n');
  t.equal(whole.sequence.at(-1), 'flush');
  t.same(demux(stream, () => 1), whole, '1-byte chunks');
  for (let round = 0; round < 20; round++) {
    t.same(demux(stream, () => random.int(1, random.pick([7, 5000, 100_000]))), whole, `random split ${round}`);
  }
});

t.test('malformed side-band packets give their codes', async (t) => {
  t.throws(() => demux(pktLine(Buffer.from([4, 0x61])), () => 1), { code: 'SIDEBAND_BAD_CHANNEL' });
  t.throws(() => demux(pktLine(Buffer.from([0, 0x61])), () => 10), { code: 'SIDEBAND_BAD_CHANNEL' });
  t.throws(() => demux(pktLine(''), () => 10), { code: 'SIDEBAND_BAD_CHANNEL', offset: 0 });
  t.throws(() => demux(Buffer.from('0009\x01abc'), () => 3), { code: 'PKT_LINE_TRUNCATED' });
  t.same(demux(Buffer.from('00010002'), () => 3).sequence, ['delim', 'response-end'], 'control packets pass through');
});
