import type { Readable } from 'node:stream';
import type { GatewayConfig } from '../config/config-types.js';
import { upstreamFor } from '../upstream/upstream-for.js';
import { resolveRepository } from '../upstream/repository-resolver.js';
import type { QuarantineForwarder } from './approval-service.js';
import type { ApprovalRequest, ForwardResult } from './approval-types.js';
import { parseReceivePackReport } from './receive-pack-report.js';

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Sends a quarantined push upstream with the gateway's credential, exactly as it was received. The
 * upstream checks every ref's old id, so a ref that moved meanwhile is refused (`ng`), never
 * overwritten: that is recorded on the request as a conflict.
 */
export class UpstreamQuarantineForwarder implements QuarantineForwarder {
  constructor(private readonly config: GatewayConfig) {}

  async forward(request: ApprovalRequest, body: Readable): Promise<ForwardResult> {
    const at = () => new Date().toISOString();
    const repository = resolveRepository(this.config, request.repository_path);
    if (repository === undefined) return { at: at(), outcome: 'failed', detail: [`repository '${request.repository_path}' is no longer served by this gateway`] };
    const upstream = await upstreamFor(repository).rpc('git-receive-pack', body, { gitProtocol: undefined, userAgent: 'gitgate-approvals' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
    }
    if (upstream.status >= 400) return { at: at(), outcome: 'failed', detail: [`the upstream answered HTTP ${upstream.status}`] };
    const report = parseReceivePackReport(Buffer.concat(chunks));
    const detail = [`unpack ${report.unpack ?? '(no report)'}`, ...report.refs.map((r) => (r.ok ? `ok ${r.ref}` : `ng ${r.ref} ${r.reason ?? ''}`.trim()))];
    if (report.unpack !== 'ok') return { at: at(), outcome: 'failed', detail };
    const refused = report.refs.some((r) => !r.ok) || report.refs.length < request.refs.length;
    return { at: at(), outcome: refused ? 'conflict' : 'forwarded', detail };
  }
}
