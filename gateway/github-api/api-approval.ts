import { createHash } from 'node:crypto';
import type { ApiInput, DecisionRecord, GrantedApproval } from '../../rego/index.js';
import { approvalFingerprint, type ApprovalRefChange, type ApprovalRequest, type ApprovalService } from '../approvals/index.js';
import type { PullRequestFacts } from './api-call-inspection.js';

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
    commits: [],
    files: [],
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
