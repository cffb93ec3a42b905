/** What the upstream's report-status said about a forwarded push. */
export interface ForwardReport {
  unpack: string | null;
  refs: { ref: string; ok: boolean; reason?: string }[];
}

/**
 * Reads the report-status of a receive-pack response (inside side-band when the client asked for
 * it). Tolerates a cut or partial response: what was readable is returned.
 */
export function parseReceivePackReport(body: Buffer, sideband: boolean): ForwardReport {
  const report: ForwardReport = { unpack: null, refs: [] };
  const payloads = pktLines(body);
  const lines = sideband ? pktLines(Buffer.concat(payloads.filter((p) => p[0] === 1).map((p) => p.subarray(1)))) : payloads;
  for (const raw of lines) {
    const line = raw.toString('utf8').replace(/\n$/, '');
    if (line.startsWith('unpack ')) report.unpack = line.slice(7);
    else if (line.startsWith('ok ')) report.refs.push({ ref: line.slice(3), ok: true });
    else if (line.startsWith('ng ')) {
      const rest = line.slice(3);
      const space = rest.indexOf(' ');
      report.refs.push(space < 0 ? { ref: rest, ok: false } : { ref: rest.slice(0, space), ok: false, reason: rest.slice(space + 1) });
    }
  }
  return report;
}

function pktLines(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at + 4 <= body.length) {
    const length = Number.parseInt(body.subarray(at, at + 4).toString('latin1'), 16);
    if (!Number.isInteger(length)) break;
    if (length < 4) {
      at += 4;
      continue;
    }
    if (at + length > body.length) break;
    out.push(body.subarray(at + 4, at + length));
    at += length;
  }
  return out;
}
