import type { ApproverIdentity } from './approval-state.js';
import type { ApprovalRequest } from './approval-types.js';

/** A pending request as the service makes it, for unit tests. */
export function pendingRequest(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  const at = '2026-01-01T10:00:00.000Z';
  return {
    id: 'apr_aaaaaaaaaaaaaaaaaaaa',
    fingerprint: 'sha256:00',
    state: 'pending',
    created_at: at,
    updated_at: at,
    expires_at: '2026-01-02T10:00:00.000Z',
    repository_path: 'demo/hello',
    repository: 'demo/hello',
    upstream: 'file:///repos/demo/hello.git',
    pusher: { subject: 'agent-1', issuer: 'gitgate:static-tokens', authentication: 'token', kind: 'agent', groups: ['agents'] },
    refs: [{ ref: 'refs/heads/main', old: 'a'.repeat(40), new: 'b'.repeat(40), operation: 'update', fast_forward: true }],
    commits: [],
    files: [],
    findings: [],
    requirements: [{ group: 'production-review', count: 1, reason: 'protected', ref: 'refs/heads/main' }],
    policy_decision_id: 'd1',
    policy_reasons: ['protected'],
    approvals: [],
    delivery: 'held',
    url: 'http://gateway/ui/approvals/apr_aaaaaaaaaaaaaaaaaaaa',
    history: [{ event: 'requested', at, by: { subject: 'agent-1', issuer: 'gitgate:static-tokens', authentication: 'token' }, reason: 'needs approval', state: 'pending' }],
    ...overrides,
  };
}

export function human(subject: string, groups: string[] = ['production-review'], extra: Partial<ApproverIdentity> = {}): ApproverIdentity {
  return { subject, issuer: 'https://idp.example', groups, kind: 'human', authentication: 'oidc', ...extra };
}
