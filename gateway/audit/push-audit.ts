import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ReceivedPush } from '../push/receive-pack-intake.js';
import type { ResolvedRepository } from '../upstream/repository-resolver.js';
import type { AuditPackStore, StoredPack } from './pack-store.js';
import { parseReceivePackReport } from '../push/receive-pack-report.js';
import { landedFields } from './outcome-check.js';
import { buildReplayPack } from './replay-pack.js';
import type { RequestAuditTrail } from './request-audit-trail.js';

/** What the intent of a forwarded push recorded; handed to `recordPushResult`. */
export interface PushIntent {
  trail: RequestAuditTrail;
  push: ReceivedPush;
  pack: StoredPack | undefined;
  /**
   * Builds the replay pack (after the forward, so it does not slow the push down). It needs only
   * the push's idx and its commits with their parents, taken when the intent was recorded: the push may be closed
   * first, so that its decoded objects are not held while git builds the pack.
   */
  replay: () => Promise<StoredPack | { error: string } | undefined>;
}

export interface PushAuditContext {
  trail: RequestAuditTrail;
  packs: AuditPackStore | undefined;
  repository: ResolvedRepository;
  objectStoreGitDir: string | undefined;
  logger: Logger;
  /** Set when an approval let this push through. */
  approvalId?: string;
}

/**
 * Keeps the pushed pack by content hash and writes the forward intent, synced, BEFORE anything
 * goes upstream: a push that reached the upstream always has its intent in the log. Throws
 * AuditError when either cannot be stored (the push is then refused).
 */
export async function recordPushIntent(context: PushAuditContext, push: ReceivedPush): Promise<PushIntent> {
  const { trail, packs, repository } = context;
  let pack: StoredPack | undefined;
  if (packs !== undefined && push.pack !== null && push.packSha256 !== undefined) {
    pack = await packs.keep({ sha256: push.packSha256, bytes: push.pack.size, save: (path) => push.savePack(path) });
  }
  await trail.record('upstream.forward', {
    upstream: repository.upstreamUrl,
    repository_path: repository.path,
    upstream_kind: repository.kind,
    commands: push.request.commands.map((c) => ({ ref: c.ref, old: c.oldId, new: c.newId, operation: c.operation })),
    push_options: [...push.request.pushOptions],
    pack: push.pack === null ? null : { sha256: pack?.sha256 ?? null, bytes: push.pack.size, objects: push.pack.objects },
    ...(context.approvalId === undefined ? {} : { approval_id: context.approvalId }),
  });
  const pushedCommits = [...push.pushed.commits].map(([id, commit]) => ({ id, parents: commit.parents }));
  const replay = async () => {
    if (packs === undefined || context.objectStoreGitDir === undefined || push.request.commands.length === 0) return undefined;
    if (pack !== undefined) await indexKeptPack(packs, pack.sha256, push, context.logger);
    return buildReplayPack({
      packs,
      pushedPack: pack?.sha256,
      objectStoreGitDir: context.objectStoreGitDir,
      pushedCommits,
      tips: push.request.commands.filter((c) => c.operation !== 'delete').map((c) => c.newId),
    }).catch((error: unknown) => {
      context.logger.warn({ err: error }, 'replay pack not built');
      return { error: (error as Error).message };
    });
  };
  return { trail, push, pack, replay };
}

/**
 * The idx of the kept pushed pack (`<sha256>.idx`), from what the push's decoder computed (the
 * thin bases were read from the object store then): indexing it again would decode the whole pack
 * a second time, in the gateway's memory.
 */
async function indexKeptPack(packs: AuditPackStore, sha256: string, push: ReceivedPush, logger: Logger): Promise<void> {
  if (existsSync(packs.idxPath(sha256))) return;
  const temporary = `${packs.idxPath(sha256)}.incoming-${process.pid}-${Date.now()}`;
  try {
    await push.writeIdx(temporary);
    await rename(temporary, packs.idxPath(sha256));
  } catch (error) {
    await rm(temporary, { force: true });
    logger.warn({ err: error, pack: sha256 }, 'idx of the kept pack not written');
  }
}

/** What a forward came to, as the gateway saw it. */
export interface ForwardOutcome {
  status: number | null;
  bytes: number;
  /** The start of the upstream's answer (its report-status). */
  response: Buffer;
  error?: { code: string; message: string };
  /**
   * For a forward that failed before its answer began: true when the upstream cannot have applied
   * anything (it never had the whole request, or refused it), false when it may have.
   */
  nothingApplied?: boolean;
}

/** The outcome of a forward: status, bytes, the upstream's per-ref report, the replay pack. */
export async function recordPushResult(
  intent: PushIntent,
  outcome: ForwardOutcome,
): Promise<void> {
  const report = parseReceivePackReport(outcome.response);
  // The replay pack (thin bases filled in, plus what `git show` needs from before the push).
  const replay = await intent.replay();
  await intent.trail.record('upstream.result', {
    status: outcome.status,
    bytes: outcome.bytes,
    unpack: report.unpack,
    refs: report.refs,
    ...landedFields(report.refs, outcome.nothingApplied),
    replay_pack: replay === undefined ? null : 'error' in replay ? { error: replay.error } : { sha256: replay.sha256, bytes: replay.bytes },
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
  });
}
