import { randomUUID } from 'node:crypto';
import type { DecisionRecord, GrantedApproval, Identity, PolicyEngine, PushInput, RefUpdate, RequestInfo } from '../../rego/index.js';
import { INPUT_VERSION } from '../../rego/index.js';
import { approvalFingerprint } from '../approvals/approval-fingerprint.js';
import type { ApprovalFileContent } from '../approvals/approval-types.js';
import { collectFileContents } from '../approvals/file-contents.js';
import { leaseCatFile } from '../git/shared-cat-file.js';
import type { PackLimits, ReceivePackRequest } from '../../pack-parser/index.js';
import type { SecretMasker, SecretScanner } from '../secrets/index.js';
import type { ResolvedRepository } from '../upstream/repository-resolver.js';
import { PushError } from './errors.js';
import { ObjectReader } from './object-reader.js';
import { receivePush, type ReceivedPush } from './receive-pack-intake.js';
import { PushInspection } from './push-inspection.js';
import { DEFAULT_INSPECTION_LIMITS, inspectRefUpdate, type InspectionLimits } from './ref-update-inspection.js';
import { inspectUnreachedObjects } from './unreached-objects.js';
import { everyRefRejected, rejectionResponse, type RefRejection } from './report-status.js';

export interface PushGateDependencies {
  policy: PolicyEngine;
  scanner: SecretScanner;
  masker: SecretMasker;
  limits?: InspectionLimits;
  /** Approvals already granted for exactly these commits (ApprovalService); none when absent. */
  approvals?: PushApprovals;
  /** Where packs too large for memory are spooled (see IntakeOptions); default the OS temp dir. */
  spoolDirectory?: () => string;
}

/** What the push gate needs of approvals: the grant of an approved request, and spending it. */
export interface PushApprovals {
  grantedFor(fingerprint: string): Promise<{ request: { id: string }; granted: GrantedApproval[] } | undefined>;
  markUsed(id: string, how: string): Promise<unknown>;
}

export interface PushContext {
  repository: ResolvedRepository;
  /**
   * A local repository holding the upstream's objects (the file upstream itself, or the mirror of
   * an http upstream): thin-pack bases, old trees, ancestry. Undefined: none, so nothing is proved.
   */
  objectStoreGitDir: string | undefined;
  /**
   * Brings the object store up to date (the mirror of an http upstream): called at most once, only
   * when a thin-pack base or an old tip is missing from it. Objects never change, so a stale store
   * can only lack objects, never give a wrong answer.
   */
  refreshObjectStore?: () => Promise<void>;
  identity: Identity;
  request: RequestInfo;
}

/** Milliseconds spent reading and decoding the request, inspecting the ref updates, deciding. */
export interface PushTimings {
  receiveMs: number;
  inspectMs: number;
  policyMs: number;
}

/** What to do with a push once it is decided. */
export type PushOutcome = PushDecisionOutcome & { timings?: PushTimings };

type PushDecisionOutcome =
  /** `input` and `decision` are undefined for a request without commands (a lone flush). */
  | { kind: 'forward'; push: ReceivedPush; input: PushInput | undefined; decision: DecisionRecord | undefined; usedApproval?: string }
  /** Nothing is denied but approvals are needed: the caller opens a request (the push is still open). */
  | { kind: 'approval'; push: ReceivedPush; input: PushInput; decision: DecisionRecord; fileContents: ApprovalFileContent[] }
  | { kind: 'reject'; body: Buffer; input: PushInput | undefined; decision: DecisionRecord | undefined; error?: PushError };

/**
 * Ref updates one push may carry. git sets no limit (GitHub's optional push policy suggests 5);
 * every update is inspected and listed, so this bounds a push's work whatever else it holds.
 */
export const MAX_REF_UPDATES_PER_PUSH = 1000;

/**
 * The decoder's limits for pushes, tighter than its defaults (which suit indexing any pack):
 * objects up to 100 MiB, as GitHub accepts them; 4 GiB of resolved objects per push (a 35 kB pack
 * of deltas copying large ranges resolved 19 GiB, for 20 s), and past 1 GiB at most 64 times the
 * pack's bytes (an 18 kB pack of deltas copying one cached 1 MiB base stalled the event loop 6.4 s
 * before reaching 4 GiB); 500,000 objects (each costs the
 * inspection 400-500 bytes: a million tiny blobs took 586 MB); delta chains up to 1,000 deep (git
 * makes 50 by default, 250 with an old `gc --aggressive`; reading back an object beyond the kept
 * budget rebuilds its chain, and a 4,000-deep chain of 1 MiB blobs took seconds per object).
 */
export const PUSH_PACK_LIMITS: Readonly<Partial<PackLimits>> = Object.freeze({
  maxObjectSize: 100 * 1024 ** 2,
  maxResolvedBytes: 4 * 1024 ** 3,
  maxResolvedRatio: 64,
  maxObjectCount: 500_000,
  maxDeltaDepth: 1000,
});

export function requestInfo(remoteAddress: string | undefined, userAgent: string | undefined): RequestInfo {
  return { id: randomUUID(), time: new Date().toISOString(), remote_address: remoteAddress ?? 'unknown', user_agent: userAgent ?? '' };
}

/**
 * Reads, inspects and decides one push. Nothing is forwarded here: the caller streams
 * `push.forwardBody()` upstream on `forward`, or answers `body` on `reject`.
 */
export async function decidePush(body: AsyncIterable<Buffer>, context: PushContext, deps: PushGateDependencies): Promise<PushOutcome> {
  const upstreamGitDir = context.objectStoreGitDir;
  const source = upstreamGitDir === undefined ? undefined : leaseCatFile(upstreamGitDir);
  const started = performance.now();
  let refreshing: Promise<void> | undefined;
  const refreshOnce = (): Promise<void> => (refreshing ??= context.refreshObjectStore?.() ?? Promise.resolve());
  const readFresh = async (id: string) => {
    if (source === undefined) return undefined;
    const object = await source.read(id);
    if (object !== undefined || context.refreshObjectStore === undefined) return object;
    await refreshOnce();
    return source.read(id);
  };
  let push: ReceivedPush;
  try {
    push = await receivePush(body, { resolveExternalBase: readFresh, limits: PUSH_PACK_LIMITS, ...(deps.spoolDirectory === undefined ? {} : { spoolDirectory: deps.spoolDirectory() }) });
  } catch (error) {
    source?.close();
    // A pack refused once the commands were read is answered the way git shows: per ref.
    if (error instanceof PushError && error.request !== undefined && error.request.commands.length > 0) {
      return { kind: 'reject', body: pushErrorRejection(error.request, error, deps.masker, true, context.request.id), input: undefined, decision: undefined, error };
    }
    throw error;
  }
  try {
    if (push.request.commands.length === 0) {
      // git's probe before a large push, or an up-to-date push: nothing to decide, nothing changes.
      return { kind: 'forward', push, input: undefined, decision: undefined };
    }
    const received = performance.now();
    // The tips the inspection starts from must be known: in the push or in the object store
    // (a new tip may be absent from the pack when the upstream already has it).
    for (const command of push.request.commands) {
      if (command.operation === 'update' && push.pushed.typeOf(command.oldId) === undefined) await readFresh(command.oldId);
      if (command.operation !== 'delete' && push.pushed.typeOf(command.newId) === undefined) await readFresh(command.newId);
    }
    // So must the commits the pushed ones build on (their diffs and the ancestry walk need them).
    if (context.refreshObjectStore !== undefined && refreshing === undefined) {
      const boundary = new Set<string>();
      for (const commit of push.pushed.commits.values()) for (const parent of commit.parents) if (!push.pushed.commits.has(parent)) boundary.add(parent);
      for (const parent of boundary) if ((await readFresh(parent)) === undefined || refreshing !== undefined) break;
    }
    if (push.request.commands.length > MAX_REF_UPDATES_PER_PUSH) {
      throw new PushError(
        'PUSH_TOO_LARGE',
        `this push updates ${push.request.commands.length} refs; gitgate inspects at most ${MAX_REF_UPDATES_PER_PUSH} per push. Push them in smaller groups`,
      );
    }
    const reader = new ObjectReader(push.pushed, source);
    const inspection = new PushInspection();
    const updates: RefUpdate[] = [];
    for (const command of push.request.commands) {
      updates.push(
        await inspectRefUpdate(command, { reader, scanner: deps.scanner, masker: deps.masker, upstreamGitDir, limits: deps.limits ?? DEFAULT_INSPECTION_LIMITS, push: inspection }),
      );
    }
    await inspectUnreachedObjects(updates, reader, deps.scanner, inspection);
    const fingerprint = approvalFingerprint({ repository: context.repository.name, pusher: context.identity, refs: push.request.commands.map((c) => ({ ref: c.ref, old: c.oldId, new: c.newId })) });
    // A store that cannot answer grants nothing: the policy then asks for an approval, and opening
    // the request fails closed with a message if the store is still unavailable.
    const grant = await deps.approvals?.grantedFor(fingerprint).catch(() => undefined);
    const input: PushInput = {
      version: INPUT_VERSION,
      kind: 'push',
      request: context.request,
      identity: context.identity,
      repository: { name: context.repository.name, upstream: context.repository.upstreamUrl, default_branch: context.repository.defaultBranch },
      updates,
      push_options: [...push.request.pushOptions],
      pack: push.pack,
      granted_approvals: grant?.granted ?? [],
    };
    const inspected = performance.now();
    const decision = await deps.policy.evaluate('push', input);
    const timings: PushTimings = { receiveMs: received - started, inspectMs: inspected - received, policyMs: performance.now() - inspected };
    if (decision.result.allow && grant !== undefined && grant.granted.length > 0) {
      // Single use: spent before the push goes upstream (throws when it was used meanwhile).
      try {
        await deps.approvals!.markUsed(grant.request.id, 'the same commits were pushed again');
      } catch (error) {
        push.close();
        const message = `approval request ${grant.request.id} covered this push but could not be used: ${(error as Error).message}`;
        return { kind: 'reject', body: everyRefRejected(push.request, 'gitgate: approval already used', [`gitgate: ${message}. Push again to ask for a new approval.`]), input, decision, timings };
      }
      return { kind: 'forward', push, input, decision, timings, usedApproval: grant.request.id };
    }
    if (decision.result.allow) return { kind: 'forward', push, input, decision, timings };
    if (decision.result.deny.length === 0 && decision.result.approvals.length > 0 && deps.approvals !== undefined) {
      const fileContents = await collectFileContents(updates, reader, deps.masker);
      return { kind: 'approval', push, input, decision, fileContents, timings };
    }
    push.close();
    return { kind: 'reject', body: rejectionFor(push, decision, deps.masker, context.request.id), input, decision, timings };
  } catch (error) {
    push.close();
    if (error instanceof PushError) {
      return { kind: 'reject', body: pushErrorRejection(push.request, error, deps.masker, false, context.request.id), input: undefined, decision: undefined, error };
    }
    throw error;
  } finally {
    source?.close();
  }
}

/**
 * A push that could not be inspected: `ng` for every ref with the error's code, its message as a
 * `remote:` line, and for a pack refused while it was read, an unpack error too (git then says
 * "remote unpack failed").
 */
function pushErrorRejection(request: ReceivePackRequest, error: PushError, masker: SecretMasker, duringUnpack: boolean, requestId: string): Buffer {
  return everyRefRejected(
    request,
    `gitgate could not inspect this push (${error.code})`,
    [`gitgate: ${masker.maskString(error.message)}`, requestReference(requestId)],
    duringUnpack ? `gitgate refused the pack (${error.code})` : undefined,
  );
}

/** `ng` for every ref (nothing is applied when any ref is refused), reasons as `remote:` lines. */
/** The last `remote:` line of a refusal: what a user quotes, and what an operator looks up. */
export function requestReference(requestId: string): string {
  return `gitgate: request ${requestId} (operators: gitgate audit show ${requestId})`;
}

function rejectionFor(push: ReceivedPush, decision: DecisionRecord, masker: SecretMasker, requestId: string): Buffer {
  const { deny, approvals } = decision.result;
  const byRef = new Map<string, string>();
  for (const reason of deny) if (reason.ref !== undefined && !byRef.has(reason.ref)) byRef.set(reason.ref, `${reason.code}`);
  for (const approval of approvals) {
    if (approval.ref !== undefined && !byRef.has(approval.ref)) byRef.set(approval.ref, `needs approval by ${approval.group}`);
  }
  const general = deny.find((r) => r.ref === undefined);
  const rejections: RefRejection[] = push.request.commands.map((command) => ({
    ref: command.ref,
    reason: byRef.has(command.ref)
      ? `gitgate: ${byRef.get(command.ref)!}`
      : general !== undefined
        ? `gitgate: ${general.code}`
        : 'gitgate: not applied because another ref of this push was refused',
  }));
  const messages: string[] = ['gitgate refused this push; nothing was applied.'];
  for (const reason of deny) messages.push(`${reason.code}${reason.ref ? ` (${reason.ref})` : ''}: ${reason.message}`);
  for (const approval of approvals) {
    messages.push(
      `APPROVAL_REQUIRED${approval.ref ? ` (${approval.ref})` : ''}: ${approval.reason}. It needs ${approval.count} approval(s) from ${approval.group}${deny.length > 0 ? ', which can only be asked for once nothing else is refused' : '; approvals are not enabled on this gateway'}.`,
    );
  }
  return rejectionResponse(push.request, rejections, [...messages.map((m) => masker.maskString(m)), requestReference(requestId)]);
}

