/** Errors of the web UI and approver login; messages never contain a token, code or assertion. */
export type WebErrorCode =
  | 'LOGIN_STATE_INVALID'
  | 'LOGIN_PROVIDER_UNAVAILABLE'
  | 'LOGIN_REJECTED'
  | 'CSRF_TOKEN_INVALID'
  | 'FORM_TOO_LARGE'
  | 'FORM_INVALID'
  | 'SAML_METADATA_INVALID';

export class WebError extends Error {
  readonly code: WebErrorCode;

  constructor(code: WebErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WebError';
    this.code = code;
  }
}
