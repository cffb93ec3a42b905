/**
 * Every error the rego library throws is a PolicyError with a stable `code`.
 * Callers switch on `code`; the message says what was wrong and what to do about it.
 * Evaluation failures never escape as exceptions from `PolicyEngine.evaluate`: they become
 * denials carrying the same codes (fail closed).
 */
export type PolicyErrorCode =
  // finding and running the opa binary
  | 'OPA_NOT_FOUND'
  | 'OPA_CHECKSUM_MISMATCH'
  | 'OPA_COMMAND_FAILED'
  // building and loading policies
  | 'POLICY_SOURCE_NOT_FOUND'
  | 'POLICY_COMPILE_FAILED'
  | 'POLICY_BUNDLE_INVALID'
  | 'POLICY_ENTRYPOINT_MISSING'
  | 'POLICY_BUILTIN_UNSUPPORTED'
  | 'POLICY_DATA_INVALID'
  | 'POLICY_NOT_LOADED'
  // evaluating
  | 'POLICY_INPUT_INVALID'
  | 'POLICY_EVALUATION_FAILED'
  | 'POLICY_TIMEOUT'
  | 'POLICY_OVERLOADED'
  | 'POLICY_RESULT_INVALID'
  | 'POLICY_ENGINE_CLOSED';

export class PolicyError extends Error {
  readonly code: PolicyErrorCode;

  constructor(code: PolicyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PolicyError';
    this.code = code;
  }
}

export function isPolicyError(error: unknown, code?: PolicyErrorCode): error is PolicyError {
  return error instanceof PolicyError && (code === undefined || error.code === code);
}

/** The message of anything thrown, for logs and denial reasons. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
