import { PktLineReader, SidebandDemuxer } from '../../pack-parser/index.js';

/** What an upstream's receive-pack answered: `unpack ...`, then `ok <ref>` / `ng <ref> <reason>`. */
export interface ReceivePackReport {
  /** The unpack status (`ok`, or git's error); null when the response held no report. */
  unpack: string | null;
  refs: { ref: string; ok: boolean; reason?: string }[];
  /** Band 2 text (hooks' output). */
  progress: string;
}

/** The data packets of `bytes`, up to the first flush or the first packet that is cut or malformed. */
function dataPackets(bytes: Buffer): Buffer[] {
  const reader = new PktLineReader();
  reader.push(bytes);
  const out: Buffer[] = [];
  try {
    for (let packet = reader.read(); packet !== undefined; packet = reader.read()) if (packet.kind === 'data') out.push(packet.data);
  } catch {
    // A response cut by a failing upstream: what was readable is the report.
  }
  return out;
}

/**
 * Parses a receive-pack response, wrapped in side-band or not (report-status lines start with
 * `unpack`, never with a band byte 1-3, so the first packet tells which). Tolerates a cut or
 * malformed response: what was readable is returned.
 */
export function parseReceivePackReport(response: Buffer): ReceivePackReport {
  const first = dataPackets(response.subarray(0, Math.min(response.length, 65520)))[0];
  let reportBytes: Buffer = response;
  let progress = '';
  if (first !== undefined && first.length > 0 && first[0]! <= 3) {
    const demuxer = new SidebandDemuxer();
    const report: Buffer[] = [];
    try {
      demuxer.push(response);
      for (let packet = demuxer.read(); packet !== undefined; packet = demuxer.read()) {
        if (packet.kind !== 'band') continue;
        if (packet.channel === 1) report.push(packet.data);
        else progress += packet.data.toString('utf8');
      }
    } catch {
      // Cut or malformed: keep what was demultiplexed.
    }
    reportBytes = Buffer.concat(report);
  }
  const result: ReceivePackReport = { unpack: null, refs: [], progress };
  for (const data of dataPackets(reportBytes)) {
    const line = data.toString('utf8').replace(/\n$/, '');
    if (line.startsWith('unpack ')) result.unpack = line.slice('unpack '.length);
    else if (line.startsWith('ok ')) result.refs.push({ ref: line.slice(3), ok: true });
    else if (line.startsWith('ng ')) {
      const rest = line.slice(3);
      const space = rest.indexOf(' ');
      result.refs.push(space < 0 ? { ref: rest, ok: false } : { ref: rest.slice(0, space), ok: false, reason: rest.slice(space + 1) });
    }
  }
  return result;
}
