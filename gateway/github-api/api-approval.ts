import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ApiInput, DecisionRecord, GrantedApproval } from '../../rego/index.js';
import { approvalFingerprint, type ApprovalRefChange, type ApprovalRequest, type ApprovalService } from '../approvals/index.js';
import type { PullRequestFacts } from './api-call-inspection.js';
import type { PullRequestChanges } from './pull-request-changes.js';
import { GitHubApiError } from './errors.js';

const ZERO_ID = '0'.repeat(40);

/**
 * What an approval of an API call is bound to, as the refs of an approval request: the call itself
 * (`api:PUT /repos/acme/app/pulls/7/merge`, with a digest of the body fields the policy saw as its
 * new id) and, for a merge, the base branch moving from its current tip to the exact head commit
 * that was reviewed. Another pull request head, another call or another caller needs a new approval.
 */
export function approvalRefsOf(input: ApiInput, pullRequest: PullRequestFacts | undefined): ApprovalRefChange[] {
  const digest = createHash('sha256').update(JSON.stringify({ params: input.api.params, body: input.api.body, target: input.api.target_ref ?? null })).digest('hex');
  const refs: ApprovalRefChange[] = [{ ref: `api:${input.api.method} ${input.api.path}`, old: ZERO_ID, new: digest, operation: 'update', fast_forward: null }];
  if (pullRequest !== undefined) {
    refs.push({ ref: pullRequest.baseRef, old: pullRequest.baseSha ?? ZERO_ID, new: pullRequest.headSha, operation: 'update', fast_forward: null });
  }
  return refs;
}

export function apiApprovalFingerprint(input: ApiInput, refs: ApprovalRefChange[]): string {
  return approvalFingerprint({ repository: input.repository?.name ?? '(account)', pusher: input.identity, refs });
}

export interface ApprovalLookup {
  /** An approved, unused request for exactly this call: its approvals go to the policy. */
  approved: { request: ApprovalRequest; granted: GrantedApproval[] } | undefined;
  /** A pending request for exactly this call (a retry while it waits): wait on it, do not open another. */
  pending: ApprovalRequest | undefined;
}

export async function findApproval(approvals: ApprovalService, fingerprint: string): Promise<ApprovalLookup> {
  const approved = await approvals.grantedFor(fingerprint);
  if (approved !== undefined) return { approved, pending: undefined };
  const pending = (await approvals.list({ state: 'pending' })).find((r) => r.fingerprint === fingerprint);
  return { approved: undefined, pending };
}

export interface OpenApiApproval {
  input: ApiInput;
  decision: DecisionRecord;
  refs: ApprovalRefChange[];
  repositoryPath: string;
  /** For a merge: the pull request's commits and files, shown to the approvers. */
  changes?: PullRequestChanges | undefined;
}

/** Opens an approval request for an API call (nothing to quarantine: the call is made again when approved). */
export function openApiApproval(approvals: ApprovalService, call: OpenApiApproval): Promise<ApprovalRequest> {
  const { input, decision } = call;
  return approvals.create({
    repositoryPath: call.repositoryPath,
    repository: input.repository?.name ?? '(account)',
    upstream: input.repository?.upstream ?? '',
    pusher: input.identity,
    refs: call.refs,
    commits: call.changes?.commits ?? [],
    files: call.changes?.files ?? [],
    findings: [],
    requirements: decision.result.approvals,
    policyDecisionId: decision.decision_id,
    policyReasons: [
      `GitHub API call ${input.api.method} ${input.api.path}${input.api.route === null ? '' : ` (${input.api.route})`}`,
      ...decision.result.approvals.map((a) => a.reason),
      ...decision.result.warnings.map((w) => `${w.code}: ${w.message}`),
    ],
    quarantine: undefined,
    fileContents: [],
    delivery: 'held',
  });
}

export interface HeldApiCall {
  input: ApiInput;
  decision: DecisionRecord;
  refs: ApprovalRefChange[];
  /** A pending request for this very call (a retry): waited on instead of opening another. */
  pending: ApprovalRequest | undefined;
  repositoryPath: string;
  /** Read only when a new request is opened. */
  changes?: (() => Promise<PullRequestChanges>) | undefined;
}

export interface ApprovalWaitOptions {
  approvals: ApprovalService | undefined;
  waitSeconds: number;
  onOpened: (approval: ApprovalRequest) => void;
}

/**
 * Opens (or joins) the approval request of a call the policy holds and waits up to `waitSeconds`
 * (less if the client leaves). Resolves with the granted approvals once approved, `{ pending }`
 * when still undecided; throws when there is no approval service, or the request was denied,
 * cancelled or expired.
 */
export async function waitForApiApproval(
  request: IncomingMessage,
  call: HeldApiCall,
  options: ApprovalWaitOptions,
): Promise<{ request: ApprovalRequest; granted: GrantedApproval[] } | { pending: ApprovalRequest }> {
  const { input, decision } = call;
  const { approvals } = options;
  const what = `${input.api.method} ${input.api.path}`;
  const needs = decision.result.approvals.map((a) => `${a.group} (${a.count}): ${a.reason}`).join('; ');
  if (approvals === undefined) {
    throw new GitHubApiError('API_APPROVAL_REQUIRED', 403, `${what} needs approval by ${needs}, and this gateway has no approval service to ask. Tell the gitgate operators.`);
  }
  let approval: ApprovalRequest;
  try {
    approval = call.pending ?? (await openApiApproval(approvals, { input, decision, refs: call.refs, repositoryPath: call.repositoryPath, changes: await call.changes?.() }));
  } catch (error) {
    throw new GitHubApiError('API_APPROVAL_REQUIRED', 503, `${what} needs approval by ${needs}, but the approval request could not be stored (${(error as { code?: string }).code ?? 'error'}); try again later`);
  }
  options.onOpened(approval);
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  request.socket.once('close', onClose);
  let decided: ApprovalRequest;
  try {
    decided = await approvals.waitForDecision(approval.id, options.waitSeconds * 1000, gone.signal);
  } finally {
    request.socket.off('close', onClose);
  }
  if (decided.state === 'pending') return { pending: decided };
  if (decided.state === 'approved') {
    const granted = await approvals.grantedFor(decided.fingerprint);
    if (granted !== undefined) return granted;
  }
  const why = decided.denial === undefined ? decided.state : `denied by ${decided.denial.by.subject}: ${decided.denial.reason}`;
  throw new GitHubApiError('API_POLICY_DENIED', 403, `${what} was not approved (${decided.id}: ${why}); nothing was sent to GitHub`);
}
