import { resolve } from 'node:path';
import { ConfigError } from './errors.js';
import type { SecretSource } from './secret-source.js';

/** The GitHub REST API proxy (`github_api` in gitgate.yaml); absent: not served. */
export interface GitHubApiConfig {
  /** The path the API is served under, e.g. `/api/github` (no trailing slash). */
  prefix: string;
  /** `https://api.github.com`, or `https://ghes.example.com/api/v3` for GitHub Enterprise Server. */
  baseUrl: string;
  /**
   * The host the repository allowlist uses for this API (`github.com` for api.github.com, the
   * server's host for GHES): `owner/repo` is reachable when an http upstream allows `<gitHost>/owner/repo`.
   */
  gitHost: string;
  credential: GitHubCredentialConfig;
  /** How long a call needing approval is held open before answering 202 with the approval URL. */
  approvalWaitSeconds: number;
  /** Request bodies larger than this are refused (they are read whole to be checked). */
  maxBodyBytes: number;
  timeoutSeconds: number;
  /** Where gitgate's own error responses point (`documentation_url`). */
  documentationUrl: string;
}

export type GitHubCredentialConfig =
  | { kind: 'token'; source: SecretSource }
  | {
      kind: 'app';
      appId: string;
      privateKey: SecretSource;
      /** When absent, found per repository with `GET /repos/{owner}/{repo}/installation`. */
      installationId: number | undefined;
      /** A cached installation token is replaced when it has less than this left. */
      refreshBeforeExpirySeconds: number;
    };

const ENV_NAME = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } as const;

export const githubApiConfigSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['credential'],
  properties: {
    prefix: { type: 'string', pattern: '^/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*/?$' },
    base_url: { type: 'string', pattern: '^https?://[^/?#]+(/[^?#]*)?$' },
    git_host: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9.-]*(:\\d{1,5})?$' },
    approval_wait_seconds: { type: 'integer', minimum: 0, maximum: 3600 },
    max_body_bytes: { type: 'integer', minimum: 1024 },
    timeout_seconds: { type: 'integer', minimum: 1, maximum: 600 },
    documentation_url: { type: 'string', pattern: '^https?://' },
    credential: {
      type: 'object',
      additionalProperties: false,
      properties: {
        token_env: ENV_NAME,
        token_file: { type: 'string', minLength: 1 },
        app: {
          type: 'object',
          additionalProperties: false,
          required: ['app_id'],
          properties: {
            app_id: { type: ['integer', 'string'], minLength: 1, minimum: 1 },
            installation_id: { type: 'integer', minimum: 1 },
            private_key_env: ENV_NAME,
            private_key_file: { type: 'string', minLength: 1 },
            refresh_before_expiry_seconds: { type: 'integer', minimum: 0, maximum: 3000 },
          },
        },
      },
    },
  },
} as const;

export interface RawGitHubApiConfig {
  prefix?: string;
  base_url?: string;
  git_host?: string;
  approval_wait_seconds?: number;
  max_body_bytes?: number;
  timeout_seconds?: number;
  documentation_url?: string;
  credential: {
    token_env?: string;
    token_file?: string;
    app?: {
      app_id: number | string;
      installation_id?: number;
      private_key_env?: string;
      private_key_file?: string;
      refresh_before_expiry_seconds?: number;
    };
  };
}

export const DEFAULT_GITHUB_API_BASE_URL = 'https://api.github.com';

function invalid(message: string): ConfigError {
  return new ConfigError('CONFIG_INVALID', `invalid gitgate config: github_api.${message}`);
}

function oneSource(env: string | undefined, file: string | undefined, key: string, base: string): SecretSource {
  if ((env === undefined) === (file === undefined)) throw invalid(`${key}: give exactly one of ${key}_env or ${key}_file`);
  return env !== undefined ? { kind: 'env', name: env } : { kind: 'file', path: resolve(base, file!) };
}

/** The host repositories of this API are named under in the upstream allowlist. */
export function gitHostOf(baseUrl: string): string {
  const url = new URL(baseUrl);
  return url.host === 'api.github.com' ? 'github.com' : url.host;
}

export function resolveGitHubApiConfig(raw: RawGitHubApiConfig | undefined, base: string): GitHubApiConfig | undefined {
  if (raw === undefined) return undefined;
  const baseUrl = (raw.base_url ?? DEFAULT_GITHUB_API_BASE_URL).replace(/\/+$/, '');
  const { credential } = raw;
  let resolved: GitHubCredentialConfig;
  if (credential.app !== undefined) {
    if (credential.token_env !== undefined || credential.token_file !== undefined) throw invalid('credential: give either a token or an app, not both');
    const app = credential.app;
    resolved = {
      kind: 'app',
      appId: String(app.app_id),
      privateKey: oneSource(app.private_key_env, app.private_key_file, 'credential.app.private_key', base),
      installationId: app.installation_id,
      refreshBeforeExpirySeconds: app.refresh_before_expiry_seconds ?? 300,
    };
  } else {
    resolved = { kind: 'token', source: oneSource(credential.token_env, credential.token_file, 'credential.token', base) };
  }
  return {
    prefix: (raw.prefix ?? '/api/github').replace(/\/+$/, ''),
    baseUrl,
    gitHost: raw.git_host ?? gitHostOf(baseUrl),
    credential: resolved,
    approvalWaitSeconds: raw.approval_wait_seconds ?? 25,
    maxBodyBytes: raw.max_body_bytes ?? 32 * 1024 * 1024,
    timeoutSeconds: raw.timeout_seconds ?? 30,
    documentationUrl: raw.documentation_url ?? 'https://gitgate.dev/docs/github-api',
  };
}
