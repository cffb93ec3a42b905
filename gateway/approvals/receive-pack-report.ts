import { PktLineReader, SidebandDemuxer } from '../../pack-parser/index.js';

/** What an upstream's receive-pack answered: `unpack ...`, then `ok <ref>` / `ng <ref> <reason>`. */
export interface ReceivePackReport {
  unpack: string | undefined;
  refs: { ref: string; ok: boolean; reason?: string }[];
  /** Band 2 text (hooks' output), for the record. */
  progress: string;
}

function pktData(bytes: Buffer): Buffer[] {
  const reader = new PktLineReader();
  reader.push(bytes);
  const out: Buffer[] = [];
  for (let packet = reader.read(); packet !== undefined; packet = reader.read()) if (packet.kind === 'data') out.push(packet.data);
  return out;
}

/**
 * Parses a whole receive-pack response, wrapped in side-band or not (report-status lines start with
 * `unpack`, never with a band byte 1-3, so the first packet tells which).
 */
export function parseReceivePackReport(response: Buffer): ReceivePackReport {
  const first = pktData(response.subarray(0, Math.min(response.length, 65520)))[0];
  let reportBytes: Buffer = response;
  let progress = '';
  if (first !== undefined && first.length > 0 && first[0]! <= 3) {
    const demuxer = new SidebandDemuxer();
    demuxer.push(response);
    const report: Buffer[] = [];
    for (let packet = demuxer.read(); packet !== undefined; packet = demuxer.read()) {
      if (packet.kind !== 'band') continue;
      if (packet.channel === 1) report.push(packet.data);
      else progress += packet.data.toString('utf8');
    }
    reportBytes = Buffer.concat(report);
  }
  const result: ReceivePackReport = { unpack: undefined, refs: [], progress };
  for (const data of pktData(reportBytes)) {
    const line = data.toString('utf8').replace(/\n$/, '');
    if (line.startsWith('unpack ')) result.unpack = line.slice('unpack '.length);
    else if (line.startsWith('ok ')) result.refs.push({ ref: line.slice(3), ok: true });
    else if (line.startsWith('ng ')) {
      const rest = line.slice(3);
      const space = rest.indexOf(' ');
      result.refs.push({ ref: space < 0 ? rest : rest.slice(0, space), ok: false, reason: space < 0 ? '' : rest.slice(space + 1) });
    }
  }
  return result;
}
