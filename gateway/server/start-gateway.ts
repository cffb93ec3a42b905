import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';
import { PolicyEngine } from '../../rego/index.js';
import { startApprovals, type ApprovalsRuntime } from '../approvals/approvals-setup.js';
import { openAudit, type OpenedAudit } from '../audit/index.js';
import type { GatewayConfig } from '../config/config-types.js';
import { GatewayServer, type ShutdownReport } from '../http/gateway-server.js';
import { loadTlsCertificate } from '../http/tls-certificate.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { GitHubApiHandler } from '../github-api/github-api-handler.js';
import { useGitLauncher } from '../git/git-launcher.js';
import { TokenStore } from '../identity/token-store.js';
import { createWebUi } from '../web/web-ui-setup.js';
import { OidcVerifier } from '../identity/oidc-verifier.js';
import { loadRuleSet, pinoMaskingOptions, SecretMasker, SecretScanner } from '../secrets/index.js';

export interface RunningGateway {
  server: GatewayServer;
  url: string;
  policy: PolicyEngine;
  tokens: TokenStore;
  logger: Logger;
  /** The audit log: the web UI queries `audit.store` and checks with `audit.publicKey`. */
  audit: OpenedAudit;
  approvals: ApprovalsRuntime;
  /**
   * Stops the gateway: held pushes end their hold (staying quarantined), the requests in flight get
   * `graceMs` (default 0) to finish unless `force` aborts first, then everything closes, the audit
   * log last.
   */
  close(options?: { graceMs?: number; force?: AbortSignal }): Promise<ShutdownReport>;
}

/** The HMAC key of secret fingerprints: from the configured env var, else one kept in the data dir. */
function fingerprintKey(config: GatewayConfig): string {
  const fromEnv = process.env[config.secrets.fingerprintKeyEnv];
  if (fromEnv !== undefined && fromEnv.length >= 16) return fromEnv;
  const path = join(config.dataDir, 'fingerprint-key');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return key;
}

/** Loads policies, secret rules and tokens, then listens. Throws when any of them cannot load. */
export interface GatewayStartOptions {
  /** Where the JSON log goes (default: standard output). */
  logDestination?: DestinationStream;
  logLevel?: string;
  /** How often the TLS certificate's files are checked for a renewal. Default 60 s (tests use less). */
  tlsCheckIntervalMs?: number;
  /** When a forward with an unknown outcome is checked upstream. Default OUTCOME_CHECK_AFTER_MS (tests use less). */
  outcomeCheckAfterMs?: readonly number[];
}

export async function startGateway(config: GatewayConfig, options: GatewayStartOptions = {}): Promise<RunningGateway> {
  // First: a certificate that cannot be served stops the start before anything is opened.
  const tlsCertificate = config.tls === undefined ? undefined : loadTlsCertificate(config.tls);
  const scanner = new SecretScanner(loadRuleSet(config.secrets.rulesFile), { fingerprintKey: fingerprintKey(config), archives: config.secrets.archives });
  const masker = new SecretMasker(scanner);
  const logger = pino({ level: options.logLevel ?? 'info', ...pinoMaskingOptions(masker) }, options.logDestination ?? pino.destination(1));
  const tokens = new TokenStore(config.tokensFile);
  const policy = await PolicyEngine.start({ source: config.policies, ...(config.policyData === undefined ? {} : { dataOverrides: config.policyData }) });
  const oidc = config.oidc.map((issuer) => new OidcVerifier(issuer));
  const audit = await openAudit(config, masker, logger);
  let url = '';
  let server: GatewayServer | undefined;
  const metrics = new GatewayMetrics({
    requestsInFlight: () => server?.requestsInFlight ?? 0,
    draining: () => server?.draining ?? false,
    pushes: () => server?.pushes ?? { admitted: 0, queued: 0 },
  });
  // Requests, API calls and approvals append through this: /readyz and /metrics see its failures.
  const auditLog = metrics.observeAuditLog(audit.log);
  const approvals = await startApprovals(config, { tokens, oidc, logger, audit: auditLog, auditPacks: audit.packs, publicUrl: () => url, onEvent: (event) => metrics.approvalEvent(event.type) });
  const webUi = createWebUi(config, { approvals: approvals.service, tokens, logger, publicUrl: () => url, audit });
  approvals.authenticators.push(webUi.authenticator);
  const githubApi = config.githubApi === undefined ? [] : [new GitHubApiHandler({ config, api: config.githubApi, tokens, oidc, policy, scanner, masker, logger, approvals: approvals.service, audit: auditLog, metrics })];
  const gatewayServer = new GatewayServer({
    config,
    tokens,
    oidc,
    policy,
    scanner,
    masker,
    logger,
    audit: auditLog,
    auditPacks: audit.packs,
    approvals: approvals.service,
    metrics,
    handlers: [...githubApi, approvals.handler, webUi.handler],
    ...(tlsCertificate === undefined ? {} : { tlsCertificate }),
    ...(options.tlsCheckIntervalMs === undefined ? {} : { tlsCheckIntervalMs: options.tlsCheckIntervalMs }),
    ...(options.outcomeCheckAfterMs === undefined ? {} : { outcomeCheckAfterMs: options.outcomeCheckAfterMs }),
  });
  server = gatewayServer;
  // git started for pushes (replay packs, mirror fetches, ancestry) comes from a small process of
  // its own: forking the gateway itself blocks it for milliseconds each time.
  const releaseGitLauncher = useGitLauncher();
  let address;
  try {
    address = await gatewayServer.listen();
  } catch (error) {
    await policy.close();
    await approvals.close();
    await audit.close();
    await releaseGitLauncher();
    throw error;
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = config.publicUrl ?? `${config.tls === undefined ? 'http' : 'https'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  return {
    server: gatewayServer,
    url,
    policy,
    tokens,
    logger,
    audit,
    approvals,
    close: async (options = {}) => {
      approvals.service.endWaits();
      const report = await gatewayServer.close(options.graceMs ?? 0, options.force);
      await approvals.close();
      await policy.close();
      // Last: what closing the others records still goes into the log.
      await audit.close();
      await releaseGitLauncher();
      return report;
    },
  };
}
