import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { builtinRulesPath } from '../secrets/rules-loader.js';
import type { ArchiveLimits } from '../secrets/archive-limits.js';
import { ConfigError } from './errors.js';
import { readSecretSource } from './secret-source.js';
import { gatewayConfigSchema } from './config-schema.js';
import { resolveAuditConfig, type RawAuditConfig } from './audit-config.js';
import { resolveApprovalsConfig, type RawApprovalsConfig } from './approvals-config.js';
import type { GatewayConfig, UpstreamConfig, UpstreamCredentialConfig } from './config-types.js';
import { resolveWebConfig, type RawWebConfig } from './web-config.js';
import { resolveOperationsConfig, type RawMetricsConfig, type RawShutdownConfig, type RawTimeoutsConfig, type RawLimitsConfig } from './operations-config.js';
import { resolveGitHubApiConfig, type RawGitHubApiConfig } from './github-api-config.js';

export const DEFAULT_LISTEN = { host: '127.0.0.1', port: 8080 } as const;
export const DEFAULT_DATA_DIR = '.gitgate-data';
export const DEFAULT_FINGERPRINT_KEY_ENV = 'GITGATE_FINGERPRINT_KEY';

/** The default policy library shipped with gitgate (`policies/` at the package root). */
export function builtinPoliciesPath(): string {
  return dirname(dirname(builtinRulesPath()));
}

const ajv = new Ajv({ allErrors: true, discriminator: true, strict: false });
const validateDocument = ajv.compile(gatewayConfigSchema);

/** `upstreams[0].credential.password_env` from ajv's `/upstreams/0/credential/password_env`. */
function keyPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(top level)' : out;
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${keyPath(error.instancePath, String(params['additionalProperty']))}: unknown key`;
    case 'required':
      return `${keyPath(error.instancePath, String(params['missingProperty']))}: required`;
    case 'enum':
      return `${keyPath(error.instancePath)}: must be one of ${(params['allowedValues'] as unknown[]).join(', ')}`;
    case 'discriminator':
      return `${keyPath(error.instancePath, 'type')}: must be "file" or "http"`;
    default:
      return `${keyPath(error.instancePath)}: ${error.message ?? 'invalid'}`;
  }
}

interface RawCredential {
  username: string;
  password_env?: string;
  password_file?: string;
}
interface RawUpstream {
  type: 'file' | 'http';
  name?: string;
  path?: string;
  scheme?: 'http' | 'https';
  repositories?: string[];
  default_branch?: string;
  credential?: RawCredential;
}
interface RawConfig {
  listen?: { host?: string; port?: number };
  tls?: { cert_file: string; key_file: string };
  shutdown?: RawShutdownConfig;
  metrics?: RawMetricsConfig;
  timeouts?: RawTimeoutsConfig;
  limits?: RawLimitsConfig;
  data_dir?: string;
  tokens_file?: string;
  public_url?: string;
  policies?: { directory?: string; bundle?: string; data?: Record<string, unknown> };
  secrets?: {
    rules_file?: string;
    fingerprint_key_env?: string;
    archives?: { max_entries?: number; max_entry_bytes?: number; max_expanded_bytes?: number; max_depth?: number };
  };
  upstreams?: RawUpstream[];
  audit?: RawAuditConfig;
  web?: RawWebConfig;
  approvals?: RawApprovalsConfig;
  github_api?: RawGitHubApiConfig;
  identity?: {
    oidc?: { issuer: string; audience: string; groups_claim?: string; algorithms?: string[]; kind?: 'agent' | 'human'; clock_tolerance_seconds?: number }[];
  };
}

function credentialOf(raw: RawCredential | undefined, index: number, base: string): UpstreamCredentialConfig | undefined {
  if (raw === undefined) return undefined;
  const key = `upstreams[${index}].credential`;
  if ((raw.password_env === undefined) === (raw.password_file === undefined)) {
    throw new ConfigError('CONFIG_INVALID', `invalid gitgate config: ${key}: give exactly one of password_env or password_file`);
  }
  const source =
    raw.password_env !== undefined
      ? ({ kind: 'env', name: raw.password_env } as const)
      : ({ kind: 'file', path: resolve(base, raw.password_file!) } as const);
  return { username: raw.username, source };
}

function upstreamOf(raw: RawUpstream, index: number, base: string): UpstreamConfig {
  const name = raw.name ?? `upstream-${index}`;
  if (raw.type === 'file') {
    return { type: 'file', name, path: resolve(base, raw.path!), repositories: raw.repositories ?? ['*/*', '*'] };
  }
  return {
    type: 'http',
    name,
    scheme: raw.scheme ?? 'https',
    repositories: raw.repositories!,
    defaultBranch: raw.default_branch ?? 'main',
    credential: credentialOf(raw.credential, index, base),
  };
}

/**
 * Validates a parsed config document and resolves it: relative paths are taken from `baseDir`
 * (the config file's directory), absent settings get their defaults. Throws CONFIG_INVALID with
 * every problem, each naming its key.
 */
export function resolveConfig(document: unknown, baseDir: string, source: string | undefined): GatewayConfig {
  const value = document ?? {};
  if (!validateDocument(value)) {
    const problems = [...new Set((validateDocument.errors ?? []).map(describe))];
    throw new ConfigError('CONFIG_INVALID', `invalid gitgate config${source ? ` ${source}` : ''}:\n  ${problems.join('\n  ')}`);
  }
  const raw = value as RawConfig;
  const dataDir = resolve(baseDir, raw.data_dir ?? DEFAULT_DATA_DIR);
  const policies =
    raw.policies?.bundle !== undefined
      ? ({ kind: 'bundle', path: resolve(baseDir, raw.policies.bundle) } as const)
      : ({ kind: 'directory', path: raw.policies?.directory ? resolve(baseDir, raw.policies.directory) : builtinPoliciesPath() } as const);
  if (raw.policies?.bundle !== undefined && raw.policies.directory !== undefined) {
    throw new ConfigError('CONFIG_INVALID', 'invalid gitgate config: policies: give either directory or bundle, not both');
  }
  return {
    source,
    listen: { host: raw.listen?.host ?? DEFAULT_LISTEN.host, port: raw.listen?.port ?? DEFAULT_LISTEN.port },
    tls: raw.tls === undefined ? undefined : { certFile: resolve(baseDir, raw.tls.cert_file), keyFile: resolve(baseDir, raw.tls.key_file) },
    operations: resolveOperationsConfig(raw, baseDir),
    dataDir,
    tokensFile: raw.tokens_file ? resolve(baseDir, raw.tokens_file) : source ? join(baseDir, 'gitgate-tokens.json') : join(dataDir, 'tokens.json'),
    publicUrl: raw.public_url?.replace(/\/+$/, ''),
    policies,
    policyData: raw.policies?.data,
    secrets: {
      rulesFile: raw.secrets?.rules_file ? resolve(baseDir, raw.secrets.rules_file) : undefined,
      fingerprintKeyEnv: raw.secrets?.fingerprint_key_env ?? DEFAULT_FINGERPRINT_KEY_ENV,
      archives: archiveLimitsOf(raw.secrets?.archives),
    },
    oidc: (raw.identity?.oidc ?? []).map((issuer) => ({
      issuer: issuer.issuer,
      audience: issuer.audience,
      groupsClaim: issuer.groups_claim ?? 'groups',
      algorithms: issuer.algorithms ?? ['RS256', 'ES256'],
      kind: issuer.kind ?? 'agent',
      clockToleranceSeconds: issuer.clock_tolerance_seconds ?? 30,
    })),
    audit: resolveAuditConfig(raw.audit, baseDir, dataDir),
    githubApi: resolveGitHubApiConfig(raw.github_api, baseDir),
    approvals: resolveApprovalsConfig(raw.approvals),
    web: resolveWebConfig(raw.web, baseDir),
    upstreams: (raw.upstreams ?? [{ type: 'file', name: 'local', path: 'repositories' }]).map((u, i) =>
      upstreamOf(u, i, u.type === 'file' && raw.upstreams === undefined ? dataDir : baseDir),
    ),
  };
}

/** Reads and validates `gitgate.yaml`. */
export function loadConfigFile(path: string): GatewayConfig {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new ConfigError('CONFIG_NOT_FOUND', `config file not found: ${absolute}`);
  const text = readFileSync(absolute, 'utf8');
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    throw new ConfigError('CONFIG_INVALID_YAML', `${absolute} is not valid YAML${where}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  return resolveConfig(document, dirname(absolute), absolute);
}

/** The embedded defaults: everything under `<cwd>/.gitgate-data`, a file upstream there. */
export function defaultConfig(cwd: string = process.cwd()): GatewayConfig {
  return resolveConfig({}, cwd, undefined);
}

/** The upstream password or token, read when needed; never logged or shown. */
export function readCredentialSecret(credential: UpstreamCredentialConfig): string {
  const { source } = credential;
  return readSecretSource(
    source,
    (reason) =>
      new ConfigError(
        'CONFIG_CREDENTIAL_UNAVAILABLE',
        source.kind === 'env' ? `the upstream credential variable ${source.name} is not set` : `cannot read the upstream credential file ${source.path}: ${reason}`,
      ),
  );
}

/** The archive limits the config sets (validated by the schema); the others keep their defaults. */
function archiveLimitsOf(raw: NonNullable<RawConfig['secrets']>['archives']): Partial<ArchiveLimits> {
  const limits: Partial<ArchiveLimits> = {};
  if (raw?.max_entries !== undefined) limits.maxEntries = raw.max_entries;
  if (raw?.max_entry_bytes !== undefined) limits.maxEntryBytes = raw.max_entry_bytes;
  if (raw?.max_expanded_bytes !== undefined) limits.maxExpandedBytes = raw.max_expanded_bytes;
  if (raw?.max_depth !== undefined) limits.maxDepth = raw.max_depth;
  return limits;
}
