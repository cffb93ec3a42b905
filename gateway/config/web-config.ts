import { resolve } from 'node:path';
import { ConfigError } from './errors.js';
import type { SecretSource } from './secret-source.js';

/** The approvers' web UI (`web` in gitgate.yaml): sessions and the ways to sign in. */
export interface WebConfig {
  /** A signed-in session ends this long after login, whatever the activity. */
  sessionTtlSeconds: number;
  /** ...or after this long without a request. */
  sessionIdleSeconds: number;
  /** Sign in with a static token of kind `human` (`gitgate token create --kind human`). */
  tokenLogin: boolean;
  /** Signed-in sessions: files under `<data_dir>/web-sessions` (survive restarts, shared by processes) or memory. */
  sessionStore: 'file' | 'memory';
  oidc: WebOidcConfig | undefined;
  saml: WebSamlConfig | undefined;
}

export interface WebOidcConfig {
  issuer: string;
  clientId: string;
  /** Absent: a public client (PKCE only). */
  clientSecret: SecretSource | undefined;
  scopes: string[];
  groupsClaim: string;
  algorithms: string[];
  clockToleranceSeconds: number;
  label: string;
}

export interface WebSamlConfig {
  idpMetadataFile: string;
  spEntityId: string;
  groupsAttribute: string;
  nameAttribute: string | undefined;
  emailAttribute: string | undefined;
  clockSkewSeconds: number;
  label: string;
}

const ENV_NAME = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } as const;
const NAME = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const webConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    session_ttl_seconds: { type: 'integer', minimum: 60, maximum: 7 * 24 * 3600 },
    session_idle_seconds: { type: 'integer', minimum: 60, maximum: 7 * 24 * 3600 },
    token_login: { type: 'boolean' },
    session_store: { enum: ['file', 'memory'] },
    oidc: {
      type: 'object',
      additionalProperties: false,
      required: ['issuer', 'client_id'],
      properties: {
        issuer: { type: 'string', pattern: '^https?://' },
        client_id: NAME,
        client_secret_env: ENV_NAME,
        client_secret_file: { type: 'string', minLength: 1 },
        scopes: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' } },
        groups_claim: NAME,
        algorithms: { type: 'array', minItems: 1, items: { enum: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] } },
        clock_tolerance_seconds: { type: 'integer', minimum: 0, maximum: 300 },
        label: NAME,
      },
    },
    saml: {
      type: 'object',
      additionalProperties: false,
      required: ['idp_metadata_file', 'sp_entity_id'],
      properties: {
        idp_metadata_file: { type: 'string', minLength: 1 },
        sp_entity_id: NAME,
        groups_attribute: NAME,
        name_attribute: NAME,
        email_attribute: NAME,
        clock_skew_seconds: { type: 'integer', minimum: 0, maximum: 300 },
        label: NAME,
      },
    },
  },
} as const;

export interface RawWebConfig {
  session_ttl_seconds?: number;
  session_idle_seconds?: number;
  token_login?: boolean;
  session_store?: 'file' | 'memory';
  oidc?: {
    issuer: string;
    client_id: string;
    client_secret_env?: string;
    client_secret_file?: string;
    scopes?: string[];
    groups_claim?: string;
    algorithms?: string[];
    clock_tolerance_seconds?: number;
    label?: string;
  };
  saml?: {
    idp_metadata_file: string;
    sp_entity_id: string;
    groups_attribute?: string;
    name_attribute?: string;
    email_attribute?: string;
    clock_skew_seconds?: number;
    label?: string;
  };
}

export const DEFAULT_WEB_CONFIG = { sessionTtlSeconds: 8 * 3600, sessionIdleSeconds: 3600 } as const;

/** Applies the defaults to the validated `web` section; relative files are taken from `base`. */
export function resolveWebConfig(raw: RawWebConfig | undefined, base: string): WebConfig {
  const oidc = raw?.oidc;
  if (oidc?.client_secret_env !== undefined && oidc.client_secret_file !== undefined) {
    throw new ConfigError('CONFIG_INVALID', 'invalid gitgate config: web.oidc: give at most one of client_secret_env or client_secret_file');
  }
  if (oidc !== undefined && oidc.scopes !== undefined && !oidc.scopes.includes('openid')) {
    throw new ConfigError('CONFIG_INVALID', 'invalid gitgate config: web.oidc.scopes: must include openid');
  }
  const ttl = raw?.session_ttl_seconds ?? DEFAULT_WEB_CONFIG.sessionTtlSeconds;
  const saml = raw?.saml;
  return {
    sessionTtlSeconds: ttl,
    sessionIdleSeconds: Math.min(raw?.session_idle_seconds ?? DEFAULT_WEB_CONFIG.sessionIdleSeconds, ttl),
    tokenLogin: raw?.token_login ?? true,
    sessionStore: raw?.session_store ?? 'file',
    oidc:
      oidc === undefined
        ? undefined
        : {
            issuer: oidc.issuer,
            clientId: oidc.client_id,
            clientSecret:
              oidc.client_secret_env !== undefined
                ? { kind: 'env', name: oidc.client_secret_env }
                : oidc.client_secret_file !== undefined
                  ? { kind: 'file', path: resolve(base, oidc.client_secret_file) }
                  : undefined,
            scopes: oidc.scopes ?? ['openid', 'profile', 'email'],
            groupsClaim: oidc.groups_claim ?? 'groups',
            algorithms: oidc.algorithms ?? ['RS256', 'ES256'],
            clockToleranceSeconds: oidc.clock_tolerance_seconds ?? 30,
            label: oidc.label ?? new URL(oidc.issuer).host,
          },
    saml:
      saml === undefined
        ? undefined
        : {
            idpMetadataFile: resolve(base, saml.idp_metadata_file),
            spEntityId: saml.sp_entity_id,
            groupsAttribute: saml.groups_attribute ?? 'groups',
            nameAttribute: saml.name_attribute,
            emailAttribute: saml.email_attribute,
            clockSkewSeconds: saml.clock_skew_seconds ?? 30,
            label: saml.label ?? 'SAML',
          },
  };
}
