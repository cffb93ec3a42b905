import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { ReceivePackRequestParser } from '../../pack-parser/index.js';
import { advertisedRefs, OutcomeChecks, recordForwardIntent, recordForwardOutcome, type AuditLog, type OutcomeCheck, type AuditPackStore, type RecordedForward, type StoredPack } from '../audit/index.js';
import { buildReplayPack } from '../audit/replay-pack.js';
import type { GatewayConfig } from '../config/config-types.js';
import { CommandSectionRecorder } from '../push/command-section.js';
import { watchDelivery } from '../push/forward-failure.js';
import { parseReceivePackReport, type ReceivePackReport } from '../push/receive-pack-report.js';
import { upstreamFor } from '../upstream/upstream-for.js';
import { resolveRepository, type ResolvedRepository } from '../upstream/repository-resolver.js';
import { UpstreamMirrors } from '../upstream/upstream-mirror.js';
import type { QuarantineForwarder } from './approval-service.js';
import type { ApprovalRequest, ForwardResult } from './approval-types.js';

const MAX_RESPONSE_BYTES = 1024 * 1024;
const PACK_HEADER_BYTES = 12;

/** A quarantined push read once: its command section, and its pack as kept in the audit's store. */
interface KeptPush {
  commandSection: Buffer;
  pack: (StoredPack & { objects: number }) | undefined;
}

/**
 * Reads a quarantined push body and keeps its pack in the audit's pack store (by SHA-256), so the
 * forward sends the command section and then the kept pack: the identical bytes, and the very pack
 * the intent names.
 */
export async function keepQuarantinedPack(body: Readable, packs: AuditPackStore): Promise<KeptPush> {
  let pending: Buffer[] = [];
  const parser = new ReceivePackRequestParser({ onPackData: (chunk) => pending.push(chunk) });
  const commandSection = new CommandSectionRecorder(parser);
  const chunks = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  // Up to the command section's end and the first pack bytes, if a pack is due. A body that ends
  // sooner is refused here (RECEIVE_PACK_TRUNCATED), as are bytes after a delete-only request.
  while (parser.request === undefined || (parser.request.hasPack && pending.length === 0)) {
    const next = await chunks.next();
    if (next.done) {
      parser.end();
      break;
    }
    commandSection.feed(next.value);
  }
  if (!parser.request!.hasPack) {
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) commandSection.feed(next.value);
    parser.end();
    return { commandSection: commandSection.bytes(), pack: undefined };
  }
  let header = Buffer.alloc(0);
  const packBytes = async function* (): AsyncGenerator<Buffer> {
    for (;;) {
      for (const chunk of pending) {
        if (header.length < PACK_HEADER_BYTES) header = Buffer.concat([header, chunk]).subarray(0, PACK_HEADER_BYTES);
        yield chunk;
      }
      pending = [];
      const next = await chunks.next();
      if (next.done) break;
      commandSection.feed(next.value);
    }
    parser.end();
  };
  const stored = await packs.put(packBytes());
  return { commandSection: commandSection.bytes(), pack: { ...stored, objects: header.length === PACK_HEADER_BYTES ? header.readUInt32BE(8) : 0 } };
}

/** The command section, then the kept pack's file. */
async function* keptPushBytes(kept: KeptPush, packs: AuditPackStore): AsyncGenerator<Buffer> {
  yield kept.commandSection;
  if (kept.pack !== undefined) yield* createReadStream(packs.packPath(kept.pack.sha256)) as AsyncIterable<Buffer>;
}

/** What an outcome check records through: the audit log, as the forward's own request. */
function auditTrailOf(recorded: RecordedForward): OutcomeCheck['trail'] {
  return {
    requestId: recorded.requestId,
    record: async (type, data) => {
      await recorded.audit.append({ type, request_id: recorded.requestId, actor: recorded.actor, repository: recorded.repository, data });
    },
  };
}

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
    /** The pushed pack is kept here before the forward, a replay pack after (as for a live push). */
    private readonly packs?: AuditPackStore,
    private readonly logger?: Logger,
    /** When a forward with an unknown outcome is checked upstream (OutcomeChecks). */
    outcomeCheckAfterMs?: readonly number[],
  ) {
    this.outcomeChecks = new OutcomeChecks(logger ?? pino({ level: 'silent' }), outcomeCheckAfterMs);
  }

  /** Forwards the upstream failed to answer, once it had all of it: asked about later. */
  private readonly outcomeChecks: OutcomeChecks;

  /** Drops the outcome checks not yet made (shutdown): the next start settles their forwards. */
  stop(): void {
    this.outcomeChecks.stop();
  }

  async forward(request: ApprovalRequest, body: Readable): Promise<ForwardResult> {
    const at = () => new Date().toISOString();
    const repository = resolveRepository(this.config, request.repository_path);
    if (repository === undefined) return { at: at(), outcome: 'failed', detail: [`repository '${request.repository_path}' is no longer served by this gateway`] };
    const packs = this.audit === undefined ? undefined : this.packs;
    let forwardBody = body;
    let kept: KeptPush | undefined;
    if (packs !== undefined) {
      try {
        kept = await keepQuarantinedPack(body, packs);
      } catch (error) {
        return { at: at(), outcome: 'failed', detail: [`not forwarded: the quarantined push could not be kept for the audit log (${(error as { code?: string }).code ?? 'error'}): ${(error as Error).message}`] };
      }
      forwardBody = Readable.from(keptPushBytes(kept, packs));
    }
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
            ...(kept?.pack === undefined ? {} : { pack: kept.pack }),
          };
    try {
      if (recorded !== undefined) await recordForwardIntent(recorded);
    } catch (error) {
      forwardBody.destroy();
      return { at: at(), outcome: 'failed', detail: [`not forwarded: the audit log could not record it (${(error as { code?: string }).code ?? 'error'})`] };
    }
    let sent: Awaited<ReturnType<UpstreamQuarantineForwarder['send']>>;
    const delivered = watchDelivery(forwardBody);
    try {
      sent = await this.send(request, repository, forwardBody, at);
    } catch (error) {
      const failure = { code: (error as { code?: string }).code ?? 'UPSTREAM_FAILED', message: error instanceof Error ? error.message : String(error) };
      // The upstream cannot have applied what it did not get whole; otherwise it may have.
      const nothingApplied = !delivered();
      if (recorded !== undefined) {
        await recordForwardOutcome(recorded, { status: null, error: failure, nothingApplied }).catch(() => undefined);
        if (!nothingApplied) this.outcomeChecks.schedule({ trail: auditTrailOf(recorded), commands: request.refs, askRefs: () => advertisedRefs(repository) });
      }
      const detail = nothingApplied
        ? `could not deliver it: ${failure.message}; nothing was applied`
        : `the upstream had all of it and failed before answering: ${failure.message}; whether it applied it is unknown (the audit log records what the upstream shows over the next minutes)`;
      return { at: at(), outcome: 'failed', detail: [detail] };
    }
    const { result, status, report } = sent;
    if (recorded !== undefined) {
      const replayPack = packs === undefined ? undefined : await this.replayPack(packs, repository, kept, request);
      await recordForwardOutcome(recorded, { status, ...(report === undefined ? {} : { report }), ...(replayPack === undefined ? {} : { replayPack }) }).catch(() => undefined);
    }
    return result;
  }

  /** The replay pack of a forwarded push, as for a live push (after the forward: off its path). */
  private async replayPack(packs: AuditPackStore, repository: ResolvedRepository, kept: KeptPush | undefined, request: ApprovalRequest): Promise<StoredPack | { error: string } | undefined> {
    const objectStoreGitDir = this.objectStoreOf(repository);
    if (objectStoreGitDir === undefined) return undefined;
    return buildReplayPack({
      packs,
      pushedPack: kept?.pack?.sha256,
      objectStoreGitDir,
      pushedCommits: undefined,
      tips: request.refs.filter((r) => r.operation !== 'delete').map((r) => r.new),
    }).catch((error: unknown) => {
      this.logger?.warn({ err: error, approval_id: request.id }, 'replay pack of a quarantined push not built');
      return { error: (error as Error).message };
    });
  }

  /** The upstream's objects: the file upstream itself, or the mirror the gateway keeps of an http one. */
  private objectStoreOf(repository: ResolvedRepository): string | undefined {
    if (repository.kind === 'file') return repository.gitDir;
    const mirrors = new UpstreamMirrors(join(this.config.dataDir, 'mirrors'));
    return mirrors.exists(repository) ? mirrors.gitDirOf(repository) : undefined;
  }

  private async send(
    request: ApprovalRequest,
    repository: ResolvedRepository,
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
