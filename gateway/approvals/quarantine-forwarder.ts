import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { recordForwardIntent, recordForwardOutcome, type AuditLog, type RecordedForward } from '../audit/index.js';
import type { GatewayConfig } from '../config/config-types.js';
import { parseReceivePackReport, type ReceivePackReport } from '../push/receive-pack-report.js';
import { upstreamFor } from '../upstream/upstream-for.js';
import { resolveRepository } from '../upstream/repository-resolver.js';
import type { QuarantineForwarder } from './approval-service.js';
import type { ApprovalRequest, ForwardResult } from './approval-types.js';

const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Sends a quarantined push upstream with the gateway's credential, exactly as it was received. The
 * upstream checks every ref's old id, so a ref that moved meanwhile is refused (`ng`), never
 * overwritten: that is recorded on the request as a conflict.
 */
export class UpstreamQuarantineForwarder implements QuarantineForwarder {
  constructor(
    private readonly config: GatewayConfig,
    /** The forward's intent is synced here before anything goes upstream, its outcome after. */
    private readonly audit?: AuditLog,
  ) {}

  async forward(request: ApprovalRequest, body: Readable): Promise<ForwardResult> {
    const at = () => new Date().toISOString();
    const repository = resolveRepository(this.config, request.repository_path);
    if (repository === undefined) return { at: at(), outcome: 'failed', detail: [`repository '${request.repository_path}' is no longer served by this gateway`] };
    const recorded: RecordedForward | undefined =
      this.audit === undefined
        ? undefined
        : {
            audit: this.audit,
            requestId: `approval-forward-${randomUUID()}`,
            actor: null,
            repository: request.repository,
            repositoryPath: repository.path,
            upstreamUrl: repository.upstreamUrl,
            commands: request.refs.map((r) => ({ ref: r.ref, old: r.old, new: r.new, operation: r.operation })),
            approvalId: request.id,
          };
    try {
      if (recorded !== undefined) await recordForwardIntent(recorded);
    } catch (error) {
      return { at: at(), outcome: 'failed', detail: [`not forwarded: the audit log could not record it (${(error as { code?: string }).code ?? 'error'})`] };
    }
    let sent: Awaited<ReturnType<UpstreamQuarantineForwarder['send']>>;
    try {
      sent = await this.send(request, repository, body, at);
    } catch (error) {
      const failure = { code: (error as { code?: string }).code ?? 'UPSTREAM_FAILED', message: error instanceof Error ? error.message : String(error) };
      if (recorded !== undefined) await recordForwardOutcome(recorded, { status: null, error: failure }).catch(() => undefined);
      throw error;
    }
    const { result, status, report } = sent;
    if (recorded !== undefined) await recordForwardOutcome(recorded, { status, ...(report === undefined ? {} : { report }) }).catch(() => undefined);
    return result;
  }

  private async send(
    request: ApprovalRequest,
    repository: NonNullable<ReturnType<typeof resolveRepository>>,
    body: Readable,
    at: () => string,
  ): Promise<{ result: ForwardResult; status: number; report?: ReceivePackReport }> {
    const upstream = await upstreamFor(repository).rpc('git-receive-pack', body, { gitProtocol: undefined, userAgent: 'gitgate-approvals' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
    }
    const { status } = upstream;
    if (status >= 400) return { status, result: { at: at(), outcome: 'failed', detail: [`the upstream answered HTTP ${status}`] } };
    const report = parseReceivePackReport(Buffer.concat(chunks));
    const detail = [`unpack ${report.unpack ?? '(no report)'}`, ...report.refs.map((r) => (r.ok ? `ok ${r.ref}` : `ng ${r.ref} ${r.reason ?? ''}`.trim()))];
    if (report.unpack !== 'ok') return { status, report, result: { at: at(), outcome: 'failed', detail } };
    const refused = report.refs.some((r) => !r.ok) || report.refs.length < request.refs.length;
    return { status, report, result: { at: at(), outcome: refused ? 'conflict' : 'forwarded', detail } };
  }
}
