/** Errors of the identity module; messages never contain a token. */
export type IdentityErrorCode = 'TOKENS_FILE_INVALID' | 'TOKEN_SUBJECT_INVALID';

export class IdentityError extends Error {
  readonly code: IdentityErrorCode;

  constructor(code: IdentityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IdentityError';
    this.code = code;
  }
}
