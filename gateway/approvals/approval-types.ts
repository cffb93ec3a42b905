/**
 * The data of just-in-time approvals: what a request is, who may decide it, what happened to it.
 * Everything here is plain JSON (the store writes it as is; the REST API returns it as is).
 */
import type { ApprovalRequirement, CommitInfo, Identity, ObjectId, SecretFinding, Timestamp } from '../../rego/index.js';

/**
 * pending: waiting for approvers. approved: enough approvals, not yet delivered. used: delivered
 * (held push forwarded, quarantined push forwarded, or a re-push of the same commits let
 * through). denied / expired / cancelled: final, nothing is delivered.
 */
export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired' | 'used' | 'cancelled';

export const FINAL_STATES: readonly ApprovalState[] = ['denied', 'expired', 'used', 'cancelled'];

/** Who did something, as recorded (never a token). */
export interface ActorRecord {
  subject: string;
  issuer: string;
  name?: string;
  email?: string;
  /** How they proved it: `token`, `oidc`, `session` (web UI login), `gateway` (gitgate itself). */
  authentication: string;
}

/** The person or agent whose push waits. */
export type PusherRecord = ActorRecord & { kind: Identity['kind']; groups: string[] };

/** One ref of the push, exactly as the client sent it. */
export interface ApprovalRefChange {
  ref: string;
  old: ObjectId;
  new: ObjectId;
  operation: 'create' | 'update' | 'delete';
  fast_forward: boolean | null;
}

/** A changed file of the push (the policy input's view, per ref). */
export interface ApprovalChangedFile {
  ref: string;
  path: string;
  previous_path?: string;
  status: 'added' | 'modified' | 'deleted' | 'renamed';
  size: number;
  binary: boolean;
}

/** What one approver granted. */
export interface GivenApproval {
  approver: ActorRecord;
  group: string;
  at: Timestamp;
  reason: string;
}

/** One state change (or approval) with who, when and why. */
export interface ApprovalHistoryEntry {
  event: 'requested' | 'approval-given' | 'approved' | 'denied' | 'expired' | 'used' | 'cancelled' | 'held' | 'quarantined' | 'forwarded' | 'forward-failed';
  at: Timestamp;
  by: ActorRecord;
  reason: string;
  /** The state after this entry. */
  state: ApprovalState;
}

/** How the pushed bytes are waiting: the pusher's connection is open (held), or on disk only. */
export type ApprovalDelivery = 'held' | 'quarantined';

/** What happened when gitgate forwarded the quarantined push itself. */
export interface ForwardResult {
  at: Timestamp;
  /** forwarded: every ref applied; conflict: the upstream refused a ref (usually moved meanwhile); failed: could not deliver. */
  outcome: 'forwarded' | 'conflict' | 'failed';
  /** `ok <ref>` / `ng <ref> <reason>` lines of the upstream, or the error. */
  detail: string[];
}

/** An approval request, bound to exact commits by `fingerprint`. */
export interface ApprovalRequest {
  /** `apr_` + 20 lower-case base32 characters (unguessable). */
  id: string;
  /** See approvalFingerprint: repository, every ref's old and new id, and the pusher. */
  fingerprint: string;
  state: ApprovalState;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** After this, a pending or approved request is expired. */
  expires_at: Timestamp;
  /** The client path (`demo/hello`, `github.com/acme/app`), to find the upstream again. */
  repository_path: string;
  /** `owner/name` as policies see it. */
  repository: string;
  upstream: string;
  pusher: PusherRecord;
  refs: ApprovalRefChange[];
  commits: CommitInfo[];
  files: ApprovalChangedFile[];
  /** Secret findings of the push, already masked (preview holds no secret). */
  findings: SecretFinding[];
  /** The policy's requirements: which group, how many distinct approvers, why. */
  requirements: ApprovalRequirement[];
  /** Deny reasons of the policy (empty: a request is only made when nothing is denied). */
  policy_decision_id: string;
  policy_reasons: string[];
  approvals: GivenApproval[];
  /** Set when a request is denied. */
  denial?: { by: ActorRecord; at: Timestamp; reason: string };
  delivery: ApprovalDelivery;
  forward?: ForwardResult;
  /** `<publicUrl>/ui/approvals/<id>`. */
  url: string;
  history: ApprovalHistoryEntry[];
}

/** One changed text file's content before and after the push, masked, for a diff in the UI. */
export interface ApprovalFileContent {
  ref: string;
  path: string;
  status: ApprovalChangedFile['status'];
  /** Undefined for an added file (or when the old content is not available). */
  old_text?: string;
  /** Undefined for a deleted file. */
  new_text?: string;
  /** binary: not shown; too-large: over the per-file limit; unavailable: objects not at hand. */
  omitted?: 'binary' | 'too-large' | 'unavailable';
}

/** Filters of ApprovalService.list. */
export interface ApprovalListFilter {
  state?: ApprovalState | ApprovalState[];
  repository?: string;
  /** Only requests one of these groups can approve. */
  groups?: string[];
  limit?: number;
}

/** Everything needed to open a request for a push that the policy holds for approval. */
export interface NewApprovalRequest {
  repositoryPath: string;
  repository: string;
  upstream: string;
  pusher: Identity;
  refs: ApprovalRefChange[];
  commits: CommitInfo[];
  files: ApprovalChangedFile[];
  findings: SecretFinding[];
  requirements: ApprovalRequirement[];
  policyDecisionId: string;
  policyReasons: string[];
  /** The push's bytes as received (commands then pack), kept until the request is final. */
  quarantine: AsyncIterable<Buffer> | undefined;
  fileContents: ApprovalFileContent[];
  /** held: a connection waits for the decision now. */
  delivery: ApprovalDelivery;
}
