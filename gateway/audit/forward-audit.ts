import type { AuditActor, AuditLog } from './audit-types.js';
import { landedFields } from './outcome-check.js';
import type { StoredPack } from './pack-store.js';
import type { ReceivePackReport } from '../push/receive-pack-report.js';

/** A push that gitgate sends upstream outside the git request (e.g. an approved push from quarantine). */
export interface RecordedForward {
  audit: AuditLog;
  /** The id of the original push request, so the forward joins its events. */
  requestId: string;
  actor: AuditActor | null;
  /** `owner/name` */
  repository: string;
  /** The path clients use (what restart reconciliation resolves the upstream from). */
  repositoryPath: string;
  upstreamUrl: string;
  commands: { ref: string; old: string; new: string; operation?: string }[];
  /** The approval request that released it. */
  approvalId?: string;
  /** The pushed pack as kept in the audit's pack store (none: not kept, or a delete-only push). */
  pack?: StoredPack & { objects: number };
}

/**
 * Writes the forward intent (synced) before the push goes upstream: call it, await it, then
 * forward; when it throws (AuditError) do not forward. Restart reconciliation covers a crash between
 * this and `recordForwardOutcome`.
 */
export async function recordForwardIntent(forward: RecordedForward): Promise<void> {
  await forward.audit.append({
    type: 'upstream.forward',
    request_id: forward.requestId,
    actor: forward.actor,
    repository: forward.repository,
    data: {
      upstream: forward.upstreamUrl,
      repository_path: forward.repositoryPath,
      commands: forward.commands.map((c) => ({ ref: c.ref, old: c.old, new: c.new, operation: c.operation ?? null })),
      pack: forward.pack === undefined ? null : { sha256: forward.pack.sha256, bytes: forward.pack.bytes, objects: forward.pack.objects },
      ...(forward.approvalId === undefined ? {} : { approval_id: forward.approvalId }),
    },
  });
}

/** The outcome of a forward recorded with `recordForwardIntent`. */
export async function recordForwardOutcome(
  forward: RecordedForward,
  outcome: {
    status: number | null;
    report?: ReceivePackReport;
    error?: { code: string; message: string };
    /** For a forward that failed before an answer: whether the upstream cannot have applied it (see ForwardOutcome). */
    nothingApplied?: boolean;
    replayPack?: StoredPack | { error: string };
  },
): Promise<void> {
  const refs = outcome.report?.refs ?? [];
  await forward.audit.append({
    type: 'upstream.result',
    request_id: forward.requestId,
    actor: forward.actor,
    repository: forward.repository,
    data: {
      status: outcome.status,
      unpack: outcome.report?.unpack ?? null,
      refs,
      ...landedFields(refs, outcome.nothingApplied),
      replay_pack: outcome.replayPack === undefined ? null : 'error' in outcome.replayPack ? { error: outcome.replayPack.error } : { sha256: outcome.replayPack.sha256, bytes: outcome.replayPack.bytes },
      ...(forward.approvalId === undefined ? {} : { approval_id: forward.approvalId }),
      ...(outcome.error === undefined ? {} : { error: outcome.error }),
    },
  });
}
