import type { GitHubApiConfig } from './github-api-config.js';
import type { ArchiveLimits } from '../secrets/archive-limits.js';
import type { ApprovalsConfig } from './approvals-config.js';
import type { WebConfig } from './web-config.js';
import type { AuditConfig } from './audit-config.js';
import type { SecretSource } from './secret-source.js';
import type { OperationsConfig } from './operations-config.js';
/** The gateway configuration after validation, with every path absolute and every default applied. */
export interface GatewayConfig {
  /** The file it came from; undefined for the embedded defaults. */
  source: string | undefined;
  listen: { host: string; port: number };
  /** Serve HTTPS with this certificate chain and key (PEM files); plain HTTP when absent. */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Shutdown grace period and `/metrics` access (`shutdown` and `metrics` in gitgate.yaml). */
  operations: OperationsConfig;
  /** Where the gateway keeps its state (demo repositories, temporary packs). */
  dataDir: string;
  tokensFile: string;
  /** The base URL users clone from, for messages; derived from `listen` when absent. */
  publicUrl: string | undefined;
  policies: { kind: 'directory'; path: string } | { kind: 'bundle'; path: string };
  /** Laid over the policy data (deployment settings such as `gitgate.config.protected_refs`). */
  policyData: Record<string, unknown> | undefined;
  /** `archives`: what the secret scan may spend reading archives: zip, tar, gzip, xz, zstd, bzip2 (unset limits keep their defaults). */
  secrets: { rulesFile: string | undefined; fingerprintKeyEnv: string; archives: Partial<ArchiveLimits> };
  upstreams: UpstreamConfig[];
  /** OIDC issuers whose JWTs are accepted besides the static tokens. */
  oidc: OidcIssuerConfig[];
  /** The tamper-evident audit log: where, segment size, checkpoints, pack retention, signing key. */
  audit: AuditConfig;
  /** The approvers' web UI at /ui: sessions and sign-in methods. */
  web: WebConfig;
  /** Just-in-time approvals: hold, expiry, webhooks. */
  approvals: ApprovalsConfig;
  /** The GitHub REST API proxy; undefined when `github_api` is not configured. */
  githubApi: GitHubApiConfig | undefined;
}

export interface OidcIssuerConfig {
  issuer: string;
  audience: string;
  /** Claim holding the groups (dots for nested claims), an array or a space-separated string. */
  groupsClaim: string;
  algorithms: string[];
  /** What the identities of this issuer are. */
  kind: 'agent' | 'human';
  clockToleranceSeconds: number;
}

export type UpstreamConfig = FileUpstreamConfig | HttpUpstreamConfig;

/** A local directory of bare repositories, served with git's own upload-pack and receive-pack. */
export interface FileUpstreamConfig {
  type: 'file';
  name: string;
  /** Absolute path of the directory holding `<owner>/<name>.git`. */
  path: string;
  /** Repository name patterns (`owner/*`); all repositories of the directory when absent. */
  repositories: string[];
}

/** Git hosts reached over smart HTTP, e.g. repositories `github.com/acme/*`. */
export interface HttpUpstreamConfig {
  type: 'http';
  name: string;
  scheme: 'http' | 'https';
  /** `host/owner/name` patterns; `*` matches one path segment. */
  repositories: string[];
  defaultBranch: string;
  credential: UpstreamCredentialConfig | undefined;
}

/** Where the upstream password or token comes from; the value itself is read only when used. */
export interface UpstreamCredentialConfig {
  username: string;
  source: SecretSource;
}
