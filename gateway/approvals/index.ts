/**
 * Just-in-time approvals. The web UI builds on ApprovalService (list, detail, fileContents,
 * approve, deny, cancel, waitForDecision, onEvent) and plugs its session login in as an
 * ApproverAuthenticator.
 */
export { ApprovalError, type ApprovalErrorCode } from './approval-errors.js';
export { approvalFingerprint, type FingerprintSubject } from './approval-fingerprint.js';
export { GATEWAY_ACTOR, actorOf, approverCounts, isFinal, requiredGroups, type ApproverIdentity } from './approval-state.js';
export { ApprovalStore, isApprovalId, newApprovalId } from './approval-store.js';
export {
  ApprovalService,
  DEFAULT_EXPIRY_SECONDS,
  DEFAULT_HOLD_SECONDS,
  DEFAULT_PROGRESS_INTERVAL_SECONDS,
  type ApprovalDetail,
  type ApprovalEvent,
  type ApprovalEventListener,
  type ApprovalSettings,
  type QuarantineForwarder,
} from './approval-service.js';
export { authenticateApprover, BearerApproverAuthenticator, type ApproverAuthentication, type ApproverAuthenticator } from './approver-authenticator.js';
export type * from './approval-types.js';
