import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { encodeSideband, type SidebandMode } from '../../pack-parser/index.js';
import type { DecisionRecord, PushInput } from '../../rego/index.js';
import type { ForwardOutcome } from '../audit/index.js';
import { forwardFailureNotice, watchDelivery } from '../push/forward-failure.js';
import { everyRefRejected } from '../push/report-status.js';
import type { ReceivedPush } from '../push/receive-pack-intake.js';
import type { SecretMasker } from '../secrets/index.js';
import type { UpstreamRequest } from '../upstream/git-upstream.js';
import { upstreamFor } from '../upstream/upstream-for.js';
import type { ResolvedRepository } from '../upstream/repository-resolver.js';
import { ApprovalError } from './approval-errors.js';
import type { ApprovalService } from './approval-service.js';
import { requiredGroups } from './approval-state.js';
import type { ApprovalFileContent, ApprovalRequest } from './approval-types.js';

const RESULT_TYPE = 'application/x-git-receive-pack-result';
import { NO_CACHE } from '../http/answer-relay.js';

export interface HeldPush {
  push: ReceivedPush;
  input: PushInput;
  decision: DecisionRecord;
  fileContents: ApprovalFileContent[];
  repository: ResolvedRepository;
  upstreamRequest: UpstreamRequest;
}

export interface HoldDependencies {
  approvals: ApprovalService;
  masker: SecretMasker;
  logger: Logger;
  /**
   * Records the forward of an approved held push (the audit log's intent, synced before the push
   * goes upstream); resolves to the function that records its outcome. Throws to refuse the forward.
   */
  recordForward?: (approvalId: string) => Promise<(outcome: ForwardOutcome) => Promise<void>>;
}

function sidebandModeOf(push: ReceivedPush): SidebandMode | undefined {
  const { capabilities } = push.request;
  return capabilities.has('side-band-64k') ? 'side-band-64k' : capabilities.has('side-band') ? 'side-band' : undefined;
}

function groupsText(request: ApprovalRequest): string {
  return [...requiredGroups(request)].map(([group, count]) => `${count} approver(s) of ${group}`).join(' and ');
}

/**
 * A push the policy holds for approval: opens the request (quarantining the push), then keeps the
 * connection open up to `hold_seconds` with `remote:` progress lines (side-band 2; silently when
 * the client did not ask for side-band). Approved in time: forwarded at once and the upstream's
 * answer relayed. Denied: refused with the approver's reason. Not decided: refused, and the
 * quarantined push is forwarded by gitgate once approved.
 */
export async function holdPushForApproval(held: HeldPush, response: ServerResponse, deps: HoldDependencies): Promise<void> {
  const { push, decision, input } = held;
  const { approvals, masker, logger } = deps;
  const settings = approvals.settings;
  const mode = sidebandModeOf(push);
  const refuse = (reason: string, messages: string[]): void => {
    const body = everyRefRejected(push.request, reason, messages.map((m) => masker.maskString(m)));
    if (!response.headersSent) response.writeHead(200, { 'content-type': RESULT_TYPE, ...NO_CACHE });
    response.end(body);
  };
  let request: ApprovalRequest;
  try {
    request = await approvals.create({
      repositoryPath: held.repository.path,
      repository: held.repository.name,
      upstream: held.repository.upstreamUrl,
      pusher: input.identity,
      refs: input.updates.map((u) => ({ ref: u.ref, old: u.old, new: u.new, operation: u.operation, fast_forward: u.fast_forward })),
      commits: dedupeCommits(input),
      files: input.updates.flatMap((u) => u.files.map((f) => ({ ref: u.ref, path: f.path, ...(f.previous_path === undefined ? {} : { previous_path: f.previous_path }), status: f.status, size: f.size, binary: f.binary }))),
      findings: input.updates.flatMap((u) => u.secret_findings),
      requirements: decision.result.approvals,
      policyDecisionId: decision.decision_id,
      policyReasons: [...decision.result.approvals.map((a) => a.reason), ...decision.result.warnings.map((w) => `${w.code}: ${w.message}`)],
      quarantine: push.forwardBody(),
      fileContents: held.fileContents,
      delivery: settings.holdSeconds > 0 ? 'held' : 'quarantined',
    });
  } catch (error) {
    push.close();
    logger.error({ err: error }, 'approval request could not be opened');
    refuse('gitgate: approval unavailable', [`gitgate: this push needs approval, but the approval request could not be stored (${(error as ApprovalError).code ?? 'error'}); nothing was applied. Try again later; if it persists, tell the gitgate operators.`]);
    return;
  }
  // The inspection is done and the file texts are kept: a hold of minutes must not pin the blobs
  // and trees of the push in memory (the spool keeps the bytes to forward; commits stay for the audit).
  push.pushed.blobs.clear();
  push.pushed.trees.clear();
  const log = logger.child({ approval_id: request.id });
  log.info({ groups: [...requiredGroups(request).keys()], fingerprint: request.fingerprint, hold_seconds: settings.holdSeconds }, 'push held for approval');
  const reasons = decision.result.approvals.map((a) => `APPROVAL_REQUIRED${a.ref === undefined ? '' : ` (${a.ref})`}: ${a.reason}`);
  const quarantineHint = [
    `The push is quarantined as ${request.id}: once approved, gitgate delivers it upstream itself (no need to push again).`,
    `Wait for the decision with: gitgate approvals wait ${request.id}   (then git pull)`,
    `Approve at ${request.url}`,
  ];
  try {
    if (settings.holdSeconds === 0) {
      refuse(`gitgate: awaiting approval ${request.id}`, [...reasons, `It needs ${groupsText(request)}.`, ...quarantineHint]);
      return;
    }
    response.writeHead(200, { 'content-type': RESULT_TYPE, ...NO_CACHE });
    const progress = (line: string): void => {
      if (mode !== undefined && !response.destroyed) response.write(encodeSideband(2, `${masker.maskString(line)}\n`, mode));
    };
    for (const reason of reasons) progress(reason);
    progress(`gitgate: approval request ${request.id} needs ${groupsText(request)}.`);
    progress(`gitgate: approve or deny at ${request.url}`);
    progress(`gitgate: holding this push for up to ${settings.holdSeconds} s; it is forwarded the moment it is approved.`);
    const started = Date.now();
    const ticker = setInterval(() => {
      progress(`gitgate: still waiting for approval of ${request.id} by ${[...requiredGroups(request).keys()].join(', ')} (${Math.round((Date.now() - started) / 1000)} s of ${settings.holdSeconds} s): ${request.url}`);
    }, settings.progressIntervalSeconds * 1000);
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    response.once('close', onClose);
    let decided: ApprovalRequest;
    try {
      decided = await approvals.waitForDecision(request.id, settings.holdSeconds * 1000, gone.signal);
      if (decided.state === 'pending') {
        const why = gone.signal.aborted ? 'the pusher disconnected during the hold' : approvals.waitsEnded ? 'gitgate shut down during the hold' : `not decided within ${settings.holdSeconds} s`;
        decided = await approvals.endHold(request.id, why);
      }
    } catch (error) {
      // The store failed under the hold: nothing is forwarded; the bytes stay quarantined.
      log.error({ err: error }, 'the hold lost track of its approval request');
      refuse(`gitgate: awaiting approval ${request.id}`, [`gitgate: the approval store failed while holding this push (${(error as ApprovalError).code ?? 'error'}); nothing was applied.`, ...quarantineHint]);
      return;
    } finally {
      clearInterval(ticker);
      response.off('close', onClose);
    }
    if (gone.signal.aborted && decided.state !== 'approved') {
      log.info({ state: decided.state }, 'pusher left during the hold; the push stays quarantined');
      return;
    }
    switch (decided.state) {
      case 'approved':
        await forwardApproved(held, decided, response, progress, refuse, deps);
        return;
      case 'denied':
        log.info({ by: decided.denial?.by.subject }, 'held push denied');
        refuse(`gitgate: denied by ${decided.denial?.by.subject ?? 'an approver'}`, [
          `gitgate: approval request ${request.id} was DENIED by ${decided.denial?.by.subject ?? 'an approver'}: ${decided.denial?.reason ?? ''}`,
          'Nothing was applied. Change the commits as the approver asked and push again (a new request is opened).',
        ]);
        return;
      case 'pending':
        log.info({ shutdown: approvals.waitsEnded }, 'hold ended without a decision; push quarantined');
        refuse(`gitgate: awaiting approval ${request.id}`, [
          approvals.waitsEnded
            ? `gitgate: the gateway is shutting down and ${request.id} is not decided yet; nothing was applied yet.`
            : `gitgate: no decision on ${request.id} within ${settings.holdSeconds} s; nothing was applied yet.`,
          ...quarantineHint,
        ]);
        return;
      default:
        refuse(`gitgate: approval ${decided.state}`, [`gitgate: approval request ${request.id} is ${decided.state}; nothing was applied. Push again to ask anew.`]);
    }
  } finally {
    push.close();
  }
}

function dedupeCommits(input: PushInput): PushInput['updates'][number]['commits'] {
  const seen = new Set<string>();
  return input.updates.flatMap((u) => u.commits).filter((c) => !seen.has(c.id) && seen.add(c.id) !== undefined);
}

/** Spends the approval and streams the held push upstream; the upstream's report goes to git. */
async function forwardApproved(
  held: HeldPush,
  request: ApprovalRequest,
  response: ServerResponse,
  progress: (line: string) => void,
  refuse: (reason: string, messages: string[]) => void,
  deps: HoldDependencies,
): Promise<void> {
  const log = deps.logger.child({ approval_id: request.id });
  try {
    await deps.approvals.markUsed(request.id, 'the held push was forwarded');
  } catch (error) {
    refuse('gitgate: approval not usable', [`gitgate: approval request ${request.id} could not be used: ${(error as Error).message}. Push again.`]);
    return;
  }
  const approvers = [...new Set(request.approvals.map((a) => a.approver.subject))].join(', ');
  let recordOutcome: ((outcome: ForwardOutcome) => Promise<void>) | undefined;
  try {
    recordOutcome = await deps.recordForward?.(request.id);
  } catch (error) {
    log.error({ err: error }, 'approved held push not forwarded: its forward could not be recorded');
    refuse('gitgate: not recorded', [`gitgate: the push was approved but could not be recorded in the audit log (${(error as { code?: string }).code ?? 'error'}), so it was not applied. Tell the gitgate operators.`]);
    return;
  }
  progress(`gitgate: approved by ${approvers}; forwarding the push.`);
  log.info({ approvers }, 'held push approved; forwarding');
  const outcome: ForwardOutcome = { status: null, bytes: 0, response: Buffer.alloc(0), error: { code: 'FORWARD_INTERRUPTED', message: 'the forward ended without an answer' } };
  const captured: Buffer[] = [];
  const forwardBody = held.push.forwardBody();
  const delivered = watchDelivery(forwardBody);
  try {
    const upstream = await upstreamFor(held.repository).rpc('git-receive-pack', forwardBody, { ...held.upstreamRequest, contentLength: held.push.forwardBodyBytes });
    outcome.status = upstream.status;
    if (upstream.status >= 400) {
      upstream.body.resume();
      throw new Error(`the upstream answered HTTP ${upstream.status}`);
    }
    upstream.body.on('data', (chunk: Buffer) => {
      if (outcome.bytes < 1024 * 1024) captured.push(chunk);
      outcome.bytes += chunk.length;
    });
    await pipeline(upstream.body, response);
    delete outcome.error;
  } catch (error) {
    outcome.error = { code: (error as { code?: string }).code ?? 'ERROR', message: (error as Error).message };
    log.warn({ err: error }, 'forwarding an approved held push failed');
    if (!response.writableEnded && !response.destroyed) {
      const notice = forwardFailureNotice(outcome.error, { delivered: delivered() || outcome.bytes > 0, status: outcome.status }, `gitgate: the push was approved (${request.id}); the approval was spent, so pushing again asks anew.`);
      outcome.nothingApplied = notice.nothingApplied;
      refuse(notice.reason, notice.messages);
    }
  } finally {
    outcome.response = Buffer.concat(captured);
    await recordOutcome?.(outcome).catch((error: unknown) => log.error({ err: error }, 'forward outcome not recorded; restart reconciliation will record it'));
  }
}
