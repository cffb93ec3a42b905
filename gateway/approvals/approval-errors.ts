/** Errors of approvals; each has a stable code, and the REST API maps it to an HTTP status. */
export type ApprovalErrorCode =
  | 'APPROVAL_NOT_FOUND'
  | 'APPROVAL_NOT_PENDING'
  | 'APPROVAL_SELF_APPROVAL'
  | 'APPROVAL_NOT_IN_GROUP'
  | 'APPROVAL_ALREADY_GIVEN'
  | 'APPROVAL_NOT_HUMAN'
  | 'APPROVAL_REASON_REQUIRED'
  | 'APPROVAL_EXPIRED'
  | 'APPROVAL_ALREADY_USED'
  | 'APPROVAL_STORE_FAILED'
  | 'APPROVAL_UNAUTHENTICATED'
  | 'APPROVAL_FORBIDDEN'
  | 'APPROVAL_BAD_REQUEST';

const STATUS: Record<ApprovalErrorCode, number> = {
  APPROVAL_NOT_FOUND: 404,
  APPROVAL_NOT_PENDING: 409,
  APPROVAL_SELF_APPROVAL: 403,
  APPROVAL_NOT_IN_GROUP: 403,
  APPROVAL_ALREADY_GIVEN: 409,
  APPROVAL_NOT_HUMAN: 403,
  APPROVAL_REASON_REQUIRED: 400,
  APPROVAL_EXPIRED: 409,
  APPROVAL_ALREADY_USED: 409,
  APPROVAL_STORE_FAILED: 503,
  APPROVAL_UNAUTHENTICATED: 401,
  APPROVAL_FORBIDDEN: 403,
  APPROVAL_BAD_REQUEST: 400,
};

export class ApprovalError extends Error {
  readonly code: ApprovalErrorCode;

  constructor(code: ApprovalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApprovalError';
    this.code = code;
  }

  /** The HTTP status the REST API answers with. */
  get httpStatus(): number {
    return STATUS[this.code];
  }
}
