/**
 * The state machine of an approval request, as pure functions: each takes a request and returns a
 * new one (never mutating), or throws an ApprovalError saying why the step is not allowed.
 *
 *   pending --approve (enough distinct approvers of every group)--> approved --use--> used
 *   pending --approve (not yet enough)--> pending (the approval is recorded)
 *   pending --deny--> denied          pending|approved --expire--> expired
 *   pending|approved --cancel--> cancelled
 */
import type { GrantedApproval, Identity } from '../../rego/index.js';
import { ApprovalError } from './approval-errors.js';
import type { ActorRecord, ApprovalHistoryEntry, ApprovalRequest, ApprovalState } from './approval-types.js';
import { FINAL_STATES } from './approval-types.js';

/** Who is deciding: an identity from a Bearer token, an OIDC JWT, or a web UI session. */
export interface ApproverIdentity {
  subject: string;
  issuer: string;
  name?: string;
  email?: string;
  groups: readonly string[];
  kind: Identity['kind'];
  /** `token`, `oidc`, `session`, ... (recorded as is). */
  authentication: string;
}

/** gitgate itself, for the changes it makes (expiry, delivery). */
export const GATEWAY_ACTOR: ActorRecord = { subject: 'gitgate', issuer: 'gitgate', authentication: 'gateway' };

export const MAX_REASON_LENGTH = 2000;

export function actorOf(identity: Pick<ApproverIdentity, 'subject' | 'issuer' | 'name' | 'email' | 'authentication'>): ActorRecord {
  return {
    subject: identity.subject,
    issuer: identity.issuer,
    ...(identity.name === undefined ? {} : { name: identity.name }),
    ...(identity.email === undefined ? {} : { email: identity.email }),
    authentication: identity.authentication,
  };
}

export function isFinal(state: ApprovalState): boolean {
  return FINAL_STATES.includes(state);
}

/** The groups that must approve, each with the most approvers any requirement asks of it. */
export function requiredGroups(request: Pick<ApprovalRequest, 'requirements'>): Map<string, number> {
  const groups = new Map<string, number>();
  for (const requirement of request.requirements) groups.set(requirement.group, Math.max(groups.get(requirement.group) ?? 0, requirement.count));
  return groups;
}

/** The same person: same subject (whatever the issuer), or the same e-mail address. */
function samePerson(a: { subject: string; email?: string }, b: { subject: string; email?: string }): boolean {
  if (a.subject === b.subject) return true;
  return a.email !== undefined && b.email !== undefined && a.email.toLowerCase() === b.email.toLowerCase();
}

function sameActor(a: ActorRecord, b: ActorRecord): boolean {
  return a.subject === b.subject && a.issuer === b.issuer;
}

/** Distinct approvers per group so far. */
export function approverCounts(request: Pick<ApprovalRequest, 'approvals'>): Map<string, number> {
  const seen = new Map<string, Set<string>>();
  for (const approval of request.approvals) {
    const set = seen.get(approval.group) ?? new Set<string>();
    set.add(`${approval.approver.issuer}\n${approval.approver.subject}`);
    seen.set(approval.group, set);
  }
  return new Map([...seen].map(([group, set]) => [group, set.size]));
}

function isSatisfied(request: ApprovalRequest): boolean {
  const counts = approverCounts(request);
  return [...requiredGroups(request)].every(([group, count]) => (counts.get(group) ?? 0) >= count);
}

function cleanReason(reason: string | undefined, required: boolean): string {
  const text = (reason ?? '').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ').trim();
  if (required && text === '') throw new ApprovalError('APPROVAL_REASON_REQUIRED', 'give a reason (it is recorded and shown to the pusher)');
  return text.length > MAX_REASON_LENGTH ? text.slice(0, MAX_REASON_LENGTH) : text;
}

function withEntry(request: ApprovalRequest, entry: Omit<ApprovalHistoryEntry, 'state'>, state: ApprovalState, changes: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return { ...request, ...changes, state, updated_at: entry.at, history: [...request.history, { ...entry, state }] };
}

export function isExpired(request: ApprovalRequest, now: Date): boolean {
  return (request.state === 'pending' || request.state === 'approved') && Date.parse(request.expires_at) <= now.getTime();
}

/** Throws unless the request can still be decided or used at `now`. */
function assertOpen(request: ApprovalRequest, now: Date, wanted: ApprovalState): void {
  if (isExpired(request, now) || request.state === 'expired') throw new ApprovalError('APPROVAL_EXPIRED', `approval request ${request.id} expired at ${request.expires_at}; push again to ask anew`);
  if (request.state !== wanted) {
    const code = request.state === 'used' ? 'APPROVAL_ALREADY_USED' : 'APPROVAL_NOT_PENDING';
    throw new ApprovalError(code, `approval request ${request.id} is ${request.state}, not ${wanted}`);
  }
}

/**
 * Records `approver`'s approval for every required group they belong to. The pusher can never
 * approve their own push; an approver counts once per group; only humans approve.
 */
export function approve(request: ApprovalRequest, approver: ApproverIdentity, reason: string | undefined, now: Date): ApprovalRequest {
  assertOpen(request, now, 'pending');
  if (samePerson(approver, request.pusher)) {
    throw new ApprovalError('APPROVAL_SELF_APPROVAL', `${approver.subject} pushed these commits and cannot approve them; ask another member of ${[...requiredGroups(request).keys()].join(' or ')}`);
  }
  if (approver.kind !== 'human') throw new ApprovalError('APPROVAL_NOT_HUMAN', `${approver.subject} is an agent identity; only people approve pushes`);
  const groups = [...requiredGroups(request).keys()].filter((group) => approver.groups.includes(group));
  if (groups.length === 0) {
    throw new ApprovalError('APPROVAL_NOT_IN_GROUP', `${approver.subject} is not in ${[...requiredGroups(request).keys()].join(' or ')}, which must approve this request`);
  }
  const actor = actorOf(approver);
  const fresh = groups.filter((group) => !request.approvals.some((a) => a.group === group && (sameActor(a.approver, actor) || samePerson(a.approver, approver))));
  if (fresh.length === 0) throw new ApprovalError('APPROVAL_ALREADY_GIVEN', `${approver.subject} already approved request ${request.id}; it needs another approver`);
  const text = cleanReason(reason, false);
  const at = now.toISOString();
  let next: ApprovalRequest = {
    ...request,
    approvals: [...request.approvals, ...fresh.map((group) => ({ approver: actor, group, at, reason: text }))],
  };
  next = withEntry(next, { event: 'approval-given', at, by: actor, reason: text || `approved for ${fresh.join(', ')}` }, 'pending');
  if (isSatisfied(next)) next = withEntry(next, { event: 'approved', at, by: actor, reason: `${text === '' ? '' : `${text}; `}every required group approved` }, 'approved');
  return next;
}

/** Denies the request; the reason is shown to the pusher. Any member of a required group may deny. */
export function deny(request: ApprovalRequest, approver: ApproverIdentity, reason: string | undefined, now: Date): ApprovalRequest {
  assertOpen(request, now, 'pending');
  const text = cleanReason(reason, true);
  if (![...requiredGroups(request).keys()].some((group) => approver.groups.includes(group))) {
    throw new ApprovalError('APPROVAL_NOT_IN_GROUP', `${approver.subject} is not in ${[...requiredGroups(request).keys()].join(' or ')}, which decides this request`);
  }
  const actor = actorOf(approver);
  const at = now.toISOString();
  return withEntry(request, { event: 'denied', at, by: actor, reason: text }, 'denied', { denial: { by: actor, at, reason: text } });
}

/** The pusher withdraws, or an approver gives up on it. */
export function cancel(request: ApprovalRequest, by: ActorRecord, reason: string, now: Date): ApprovalRequest {
  if (isFinal(request.state)) throw new ApprovalError('APPROVAL_NOT_PENDING', `approval request ${request.id} is already ${request.state}`);
  return withEntry(request, { event: 'cancelled', at: now.toISOString(), by, reason: cleanReason(reason, true) }, 'cancelled');
}

/** Marks a pending or approved request past its expiry as expired (unchanged otherwise). */
export function expire(request: ApprovalRequest, now: Date): ApprovalRequest {
  if (!isExpired(request, now)) return request;
  return withEntry(request, { event: 'expired', at: now.toISOString(), by: GATEWAY_ACTOR, reason: `not ${request.state === 'pending' ? 'decided' : 'used'} before ${request.expires_at}` }, 'expired');
}

/** Spends an approved request (single use): the push it covers is being delivered now. */
export function markUsed(request: ApprovalRequest, how: string, now: Date): ApprovalRequest {
  assertOpen(request, now, 'approved');
  return withEntry(request, { event: 'used', at: now.toISOString(), by: GATEWAY_ACTOR, reason: how }, 'used');
}

/** The pusher's connection went away (or the hold ran out): the push waits on disk only. */
export function markQuarantined(request: ApprovalRequest, reason: string, now: Date): ApprovalRequest {
  if (request.delivery === 'quarantined') return request;
  return withEntry(request, { event: 'quarantined', at: now.toISOString(), by: GATEWAY_ACTOR, reason }, request.state, { delivery: 'quarantined' });
}

/** Records the outcome of gitgate forwarding the quarantined push. */
export function recordForward(request: ApprovalRequest, result: NonNullable<ApprovalRequest['forward']>): ApprovalRequest {
  return withEntry(
    request,
    { event: result.outcome === 'forwarded' ? 'forwarded' : 'forward-failed', at: result.at, by: GATEWAY_ACTOR, reason: result.detail.join('; ') },
    request.state,
    { forward: result },
  );
}

/**
 * A forward that could not deliver at all (upstream unreachable, error before any ref was applied)
 * gives the approval back: the pusher can still push the same commits again.
 */
export function releaseAfterFailedForward(request: ApprovalRequest, result: NonNullable<ApprovalRequest['forward']>): ApprovalRequest {
  if (request.state !== 'used') return recordForward(request, result);
  return withEntry(request, { event: 'forward-failed', at: result.at, by: GATEWAY_ACTOR, reason: `${result.detail.join('; ')}; the approval stays usable by a re-push` }, 'approved', { forward: result });
}

/** The approvals of an approved request as the policy input's `granted_approvals`. */
export function grantedApprovalsOf(request: ApprovalRequest): GrantedApproval[] {
  const granted: GrantedApproval[] = [];
  const commits = request.commits.map((c) => c.id);
  for (const requirement of request.requirements) {
    for (const approval of request.approvals) {
      if (approval.group !== requirement.group) continue;
      granted.push({
        group: approval.group,
        approver: approval.approver.subject,
        granted_at: approval.at,
        ...(requirement.ref === undefined ? {} : { ref: requirement.ref }),
        commits,
      });
    }
  }
  return granted;
}
