import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';
import { PolicyEngine } from '../../rego/index.js';
import { startApprovals, type ApprovalsRuntime } from '../approvals/approvals-setup.js';
import { openAudit, type OpenedAudit } from '../audit/index.js';
import type { GatewayConfig } from '../config/config-types.js';
import { GatewayServer } from '../http/gateway-server.js';
import { GitHubApiHandler } from '../github-api/github-api-handler.js';
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
  close(): Promise<void>;
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
}

export async function startGateway(config: GatewayConfig, options: GatewayStartOptions = {}): Promise<RunningGateway> {
  const scanner = new SecretScanner(loadRuleSet(config.secrets.rulesFile), { fingerprintKey: fingerprintKey(config), archives: config.secrets.archives });
  const masker = new SecretMasker(scanner);
  const logger = pino({ level: options.logLevel ?? 'info', ...pinoMaskingOptions(masker) }, options.logDestination ?? pino.destination(1));
  const tokens = new TokenStore(config.tokensFile);
  const policy = await PolicyEngine.start({ source: config.policies, ...(config.policyData === undefined ? {} : { dataOverrides: config.policyData }) });
  const oidc = config.oidc.map((issuer) => new OidcVerifier(issuer));
  const audit = await openAudit(config, masker, logger);
  let url = '';
  const approvals = await startApprovals(config, { tokens, oidc, logger, audit: audit.log, auditPacks: audit.packs, publicUrl: () => url });
  const webUi = createWebUi(config, { approvals: approvals.service, tokens, logger, publicUrl: () => url, audit });
  approvals.authenticators.push(webUi.authenticator);
  const githubApi = config.githubApi === undefined ? [] : [new GitHubApiHandler({ config, api: config.githubApi, tokens, oidc, policy, scanner, masker, logger, approvals: approvals.service, audit: audit.log })];
  const server = new GatewayServer({ config, tokens, oidc, policy, scanner, masker, logger, audit: audit.log, auditPacks: audit.packs, approvals: approvals.service, handlers: [...githubApi, approvals.handler, webUi.handler] });
  let address;
  try {
    address = await server.listen();
  } catch (error) {
    await policy.close();
    await approvals.close();
    await audit.close();
    throw error;
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  url = config.publicUrl ?? `${config.tls === undefined ? 'http' : 'https'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  return {
    server,
    url,
    policy,
    tokens,
    logger,
    audit,
    approvals,
    close: async () => {
      await server.close();
      await approvals.close();
      await policy.close();
      // Last: what closing the others records still goes into the log.
      await audit.close();
    },
  };
}
