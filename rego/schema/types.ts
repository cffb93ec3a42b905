/**
 * TypeScript types of the policy contract, version 1. They mirror the JSON Schemas beside this
 * file (`*.v1.schema.json`); `contract.test.ts` checks the typed examples against the schemas.
 */

/** 40 (SHA-1) or 64 (SHA-256) lower-case hex digits; all zeros means "no object". */
export type ObjectId = string;
/** RFC 3339 date-time, e.g. `2026-05-04T10:15:00Z`. */
export type Timestamp = string;

export const INPUT_VERSION = 1;

export interface RequestInfo {
  id: string;
  time: Timestamp;
  remote_address: string;
  user_agent: string;
}

export interface Identity {
  subject: string;
  issuer: string;
  name?: string;
  email?: string;
  groups: string[];
  kind: 'agent' | 'human';
  authentication: 'oidc' | 'token' | 'mtls' | 'demo';
}

export interface RepositoryInfo {
  /** owner/name */
  name: string;
  upstream: string;
  /** A branch name, not a ref. */
  default_branch: string;
}

export interface GrantedApproval {
  group: string;
  approver: string;
  granted_at: Timestamp;
  ref?: string;
  commits?: ObjectId[];
}

export interface Person {
  name: string;
  email: string;
  time: Timestamp;
}

export interface CommitInfo {
  id: ObjectId;
  author: Person;
  committer: Person;
  message: string;
  parents: ObjectId[];
  signed: boolean;
}

export interface ChangedFile {
  path: string;
  previous_path?: string;
  status: 'added' | 'modified' | 'deleted' | 'renamed';
  mode: string;
  blob: ObjectId;
  size: number;
  binary: boolean;
}

export interface SecretFinding {
  rule: string;
  description?: string;
  path: string;
  line: number;
  commit: ObjectId;
  /** The matched text with the secret masked. */
  preview: string;
  fingerprint: string;
}

export interface RefUpdate {
  ref: string;
  ref_type: 'branch' | 'tag' | 'other';
  old: ObjectId;
  new: ObjectId;
  operation: 'create' | 'update' | 'delete';
  /** true: proven fast-forward; false: proven not (force push); null: unknown, or not an update. */
  fast_forward: boolean | null;
  commits: CommitInfo[];
  files: ChangedFile[];
  secret_findings: SecretFinding[];
  truncated: boolean;
}

interface InputBase {
  version: typeof INPUT_VERSION;
  request: RequestInfo;
  identity: Identity;
}

export interface PushInput extends InputBase {
  kind: 'push';
  repository: RepositoryInfo;
  updates: RefUpdate[];
  push_options: string[];
  pack: { size: number; objects: number } | null;
  granted_approvals: GrantedApproval[];
}

export interface FetchInput extends InputBase {
  kind: 'fetch';
  repository: RepositoryInfo;
  fetch: {
    phase: 'advertisement' | 'upload';
    protocol_version: 0 | 1 | 2;
    ref_prefixes?: string[];
    shallow?: boolean;
  };
}

export interface ApiInput extends InputBase {
  kind: 'api';
  repository: RepositoryInfo | null;
  api: {
    method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    route: string | null;
    path: string;
    params: Record<string, string>;
    query: Record<string, string>;
    body: Record<string, unknown>;
    target_ref?: string;
    /** A merge: the pull request as the gateway fetched it. */
    pull_request?: { number: number; base_ref: string; head_ref: string; head_sha: ObjectId };
    /** A content write: secrets found in what it writes (masked). */
    secret_findings?: ApiSecretFinding[];
  };
  granted_approvals: GrantedApproval[];
}

/** A secret in content written through the API (no commit yet, so no commit id). */
export interface ApiSecretFinding {
  rule: string;
  description?: string;
  path: string;
  line: number;
  preview: string;
  fingerprint: string;
}

export type PolicyInput = PushInput | FetchInput | ApiInput;

export interface DenyReason {
  code: string;
  message: string;
  ref?: string;
}

export interface ApprovalRequirement {
  group: string;
  count: number;
  reason: string;
  ref?: string;
}

export interface PolicyWarning {
  code: string;
  message: string;
  ref?: string;
}

/** `allow` is true exactly when `deny` and `approvals` are both empty. */
export interface Decision {
  allow: boolean;
  deny: DenyReason[];
  approvals: ApprovalRequirement[];
  warnings: PolicyWarning[];
}

/** One evaluation, shaped like an OPA decision log entry, for the audit log and later replay. */
export interface DecisionRecord {
  decision_id: string;
  timestamp: Timestamp;
  kind: 'push' | 'fetch' | 'api';
  path: string;
  request_id?: string;
  bundle: { revision: string | null };
  /** `sha256:<hex>` of the exact JSON text evaluated. */
  input_digest: string;
  result: Decision;
  /** Set when the decision is a fail-closed denial because evaluation did not complete. */
  error?: { code: string; message: string };
  metrics: { timer_eval_ns: number; timer_total_ns: number };
}
