import t from 'tap';
import { PktLineReader, type ReceivePackRequest } from '../../pack-parser/index.js';
import { rejectionResponse } from './report-status.js';

function request(capabilities: string[]): ReceivePackRequest {
  return {
    commands: [{ oldId: '1'.repeat(40), newId: '2'.repeat(40), ref: 'refs/heads/main', operation: 'update' }],
    capabilityList: capabilities,
    capabilities: new Map(capabilities.map((c) => [c, true as const])),
    objectFormat: 'sha1',
    pushOptions: [],
    shallow: [],
    pushCertificate: undefined,
    hasPack: true,
  };
}

function lines(bytes: Buffer): string[] {
  const reader = new PktLineReader();
  reader.push(bytes);
  const out: string[] = [];
  for (let packet = reader.read(); packet !== undefined; packet = reader.read()) out.push(packet.kind === 'data' ? packet.data.toString('latin1') : packet.kind);
  return out;
}

t.test('without side-band: report-status lines only, reasons on one line', async (t) => {
  const body = rejectionResponse(request(['report-status']), [{ ref: 'refs/heads/main', reason: 'gitgate: A\nB' }], ['ignored without side-band']);
  t.same(lines(body), ['unpack ok\n', 'ng refs/heads/main gitgate: A B\n', 'flush']);
});

t.test('with side-band-64k: messages on band 2, the report on band 1', async (t) => {
  const body = rejectionResponse(request(['report-status', 'side-band-64k']), [{ ref: 'refs/heads/main', reason: 'gitgate: X' }], ['first', 'second']);
  const packets = lines(body);
  t.equal(packets.at(-1), 'flush');
  t.equal(packets[0], '\x02first\nsecond\n');
  t.same(lines(Buffer.from(packets[1]!.slice(1), 'latin1')), ['unpack ok\n', 'ng refs/heads/main gitgate: X\n', 'flush']);
});
