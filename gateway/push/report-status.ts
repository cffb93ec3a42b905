import { encodeSideband, FLUSH_PKT, pktLine, type ReceivePackRequest } from '../../pack-parser/index.js';

export interface RefRejection {
  ref: string;
  /** One line, shown by git after `! [remote rejected] <ref> (...)`. */
  reason: string;
}

function oneLine(text: string, max = 200): string {
  const line = text.replace(/[\r\n]+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/** Every ref of the request refused for the same reason (nothing of a push is applied in part). */
export function everyRefRejected(request: ReceivePackRequest, reason: string, messages: readonly string[], unpackError?: string): Buffer {
  return rejectionResponse(request, request.commands.map((c) => ({ ref: c.ref, reason })), messages, unpackError);
}

/**
 * A git-native answer to a push that was not applied: `unpack ok` (or the unpack error) and
 * `ng <ref> <reason>` for every ref, wrapped in side-band-64k when the client asked for it, with
 * `messages` on band 2 so git prints them as `remote:` lines.
 */
export function rejectionResponse(
  request: ReceivePackRequest,
  rejections: readonly RefRejection[],
  messages: readonly string[],
  unpackError?: string,
): Buffer {
  const report: Buffer[] = [pktLine(unpackError === undefined ? 'unpack ok\n' : `unpack ${oneLine(unpackError)}\n`)];
  for (const rejection of rejections) report.push(pktLine(`ng ${rejection.ref} ${oneLine(rejection.reason)}\n`));
  report.push(Buffer.from(FLUSH_PKT));
  const reportBytes = Buffer.concat(report);
  const mode = request.capabilities.has('side-band-64k') ? 'side-band-64k' : request.capabilities.has('side-band') ? 'side-band' : undefined;
  if (mode === undefined) return request.capabilities.has('report-status') || request.capabilities.has('report-status-v2') ? reportBytes : Buffer.alloc(0);
  const text = messages.length === 0 ? '' : `${messages.join('\n').replace(/\n*$/, '\n')}`;
  const out: Buffer[] = [];
  if (text !== '') out.push(encodeSideband(2, text, mode));
  out.push(encodeSideband(1, reportBytes, mode));
  out.push(Buffer.from(FLUSH_PKT));
  return Buffer.concat(out);
}
