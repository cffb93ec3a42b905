/** Errors of the GitHub API proxy; each becomes a GitHub-shaped JSON error with its HTTP status. */
export type GitHubApiErrorCode =
  | 'API_UNAUTHENTICATED'
  | 'API_PATH_INVALID'
  | 'API_METHOD_NOT_ALLOWED'
  | 'API_REPOSITORY_NOT_SERVED'
  | 'API_BODY_TOO_LARGE'
  | 'API_BODY_INVALID'
  | 'API_CONTENT_UNINSPECTABLE'
  | 'API_POLICY_DENIED'
  | 'API_APPROVAL_REQUIRED'
  | 'API_APPROVAL_PENDING'
  | 'API_UPSTREAM_UNREACHABLE'
  | 'API_UPSTREAM_FAILED'
  | 'API_CREDENTIAL_UNAVAILABLE'
  | 'API_RESPONSE_NOT_MASKABLE';

export class GitHubApiError extends Error {
  readonly code: GitHubApiErrorCode;
  /** The HTTP status the client gets. */
  readonly status: number;

  constructor(code: GitHubApiErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GitHubApiError';
    this.code = code;
    this.status = status;
  }
}
