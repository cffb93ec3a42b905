/**
 * Every error the secrets module throws is a SecretsError with a stable `code`.
 * Messages name the rule id or file and say what to do; they never contain a secret value.
 */
export type SecretsErrorCode =
  | 'SECRETS_RULES_NOT_FOUND'
  | 'SECRETS_RULES_INVALID_JSON'
  | 'SECRETS_RULES_SCHEMA'
  | 'SECRETS_RULE_DUPLICATE_ID'
  | 'SECRETS_RULE_BAD_PATTERN'
  | 'SECRETS_RULE_BAD_GROUP'
  | 'SECRETS_FINGERPRINT_KEY'
  | 'SECRETS_SCANNER_OPTION'
  | 'SECRETS_GIT_FAILED';

export class SecretsError extends Error {
  readonly code: SecretsErrorCode;

  constructor(code: SecretsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecretsError';
    this.code = code;
  }
}

export function isSecretsError(error: unknown, code?: SecretsErrorCode): error is SecretsError {
  return error instanceof SecretsError && (code === undefined || error.code === code);
}
