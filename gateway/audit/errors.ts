export type AuditErrorCode =
  | 'AUDIT_STORE_FAILED'
  | 'AUDIT_LOG_CLOSED'
  | 'AUDIT_EVENT_INVALID'
  | 'AUDIT_KEY_INVALID'
  | 'AUDIT_PACK_MISSING'
  | 'AUDIT_REQUEST_NOT_FOUND'
  | 'AUDIT_MATERIALIZE_FAILED';

/** A failure of the audit log; the gateway fails closed on it (the request is refused). */
export class AuditError extends Error {
  readonly code: AuditErrorCode;
  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditError';
    this.code = code;
  }
}
