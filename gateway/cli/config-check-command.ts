import { accessSync, constants as fsConstants, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PolicyEngine } from '../../rego/index.js';
import type { GatewayConfig } from '../config/config-types.js';
import { readSecretSource, type SecretSource } from '../config/secret-source.js';
import { loadTlsCertificate, TlsCertificateError } from '../http/tls-certificate.js';
import { TokenStore } from '../identity/token-store.js';
import { loadRuleSet } from '../secrets/index.js';
import type { Command } from './command.js';
import { configFromArgs } from './config-option.js';

/** One line of the check: what was checked and what was found. */
export interface ConfigCheckResult {
  status: 'ok' | 'warn' | 'fail';
  subject: string;
  detail: string;
}

/** A certificate closer than this to its end is a warning: renew it. */
const TLS_WARN_DAYS = 14;
const DAY_MS = 86_400_000;

/**
 * Every secret source of the config (upstream credentials, the GitHub API's token or key, the
 * OIDC client secret, the metrics token) with where it sits, found by their shape: what a new
 * section adds is checked without a change here.
 */
export function secretSourcesOf(value: unknown, path = ''): { path: string; source: SecretSource }[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => secretSourcesOf(item, `${path}[${i}]`));
  const record = value as Record<string, unknown>;
  if ((record['kind'] === 'env' && typeof record['name'] === 'string') || (record['kind'] === 'file' && typeof record['path'] === 'string' && Object.keys(record).length === 2)) {
    return [{ path, source: record as SecretSource }];
  }
  return Object.entries(record).flatMap(([key, item]) => secretSourcesOf(item, path === '' ? key : `${path}.${key}`));
}

function checkTls(config: GatewayConfig, now: number): ConfigCheckResult[] {
  if (config.tls === undefined) return [{ status: 'ok', subject: 'tls', detail: 'none: plain HTTP (put a TLS-terminating proxy in front, or set tls)' }];
  try {
    const certificate = loadTlsCertificate(config.tls);
    const days = Math.floor((certificate.notAfter.getTime() - now) / DAY_MS);
    const until = `valid until ${certificate.notAfter.toISOString()}`;
    if (days < 0) return [{ status: 'fail', subject: 'tls', detail: `${certificate.subject}: expired (${until})` }];
    return [{ status: days < TLS_WARN_DAYS ? 'warn' : 'ok', subject: 'tls', detail: `${certificate.subject}, ${until} (${days} days)` }];
  } catch (error) {
    if (!(error instanceof TlsCertificateError)) throw error;
    return [{ status: 'fail', subject: 'tls', detail: error.message }];
  }
}

function checkUpstreams(config: GatewayConfig): ConfigCheckResult[] {
  return config.upstreams.map((upstream, i): ConfigCheckResult => {
    const subject = `upstreams[${i}] (${upstream.name})`;
    if (upstream.type === 'http') return { status: 'ok', subject, detail: `${upstream.scheme} ${upstream.repositories.join(', ')}${upstream.credential === undefined ? ', no credential' : ''}` };
    if (!existsSync(upstream.path) && config.source === undefined) return { status: 'ok', subject, detail: `${upstream.path}: made by gitgate serve, with the demo repository` };
    if (!existsSync(upstream.path) || !statSync(upstream.path).isDirectory()) return { status: 'fail', subject, detail: `${upstream.path} is not a directory` };
    const repositories = readdirSync(upstream.path, { withFileTypes: true })
      .filter((owner) => owner.isDirectory())
      .flatMap((owner) => readdirSync(join(upstream.path, owner.name)).filter((name) => name.endsWith('.git')));
    return { status: 'ok', subject, detail: `${repositories.length} repositories in ${upstream.path}` };
  });
}

/** A path in the resolved config as gitgate.yaml spells it: `githubApi.credential.source` is `github_api.credential`. */
function yamlKeyOf(path: string): string {
  const snake = path.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`).replace(/\.source$/, '');
  // The operations settings come from top-level sections (`metrics.token_env`).
  return snake === 'operations.metrics_token' ? 'metrics.token' : snake;
}

function checkSecretSources(config: GatewayConfig): ConfigCheckResult[] {
  return secretSourcesOf(config).map(({ path: resolvedPath, source }): ConfigCheckResult => {
    const path = yamlKeyOf(resolvedPath);
    try {
      readSecretSource(source, (reason) => new Error(reason));
      return { status: 'ok', subject: path, detail: source.kind === 'env' ? `set in ${source.name}` : `readable at ${source.path}` };
    } catch (error) {
      const reason = (error as Error).message;
      return { status: 'fail', subject: path, detail: source.kind === 'env' ? `the variable ${source.name} is not set` : `cannot read ${source.path} (${reason})` };
    }
  });
}

async function checkPolicies(config: GatewayConfig): Promise<ConfigCheckResult> {
  try {
    const engine = await PolicyEngine.start({ source: config.policies, ...(config.policyData === undefined ? {} : { dataOverrides: config.policyData }) });
    const revision = engine.revision;
    await engine.close();
    return { status: 'ok', subject: 'policies', detail: `${config.policies.kind} ${config.policies.path} loads (revision ${revision.slice(0, 16)})` };
  } catch (error) {
    return { status: 'fail', subject: 'policies', detail: `${config.policies.path}: ${(error as Error).message}` };
  }
}

function checkSecretRules(config: GatewayConfig): ConfigCheckResult {
  try {
    const rules = loadRuleSet(config.secrets.rulesFile).rules.length;
    return { status: 'ok', subject: 'secrets.rules_file', detail: `${rules} rules${config.secrets.rulesFile === undefined ? ' (built in)' : ` from ${config.secrets.rulesFile}`}` };
  } catch (error) {
    return { status: 'fail', subject: 'secrets.rules_file', detail: (error as Error).message };
  }
}

function checkTokens(config: GatewayConfig): ConfigCheckResult {
  if (!existsSync(config.tokensFile)) {
    return { status: 'warn', subject: 'tokens_file', detail: `${config.tokensFile} does not exist yet: only OIDC tokens are accepted until gitgate token create makes one` };
  }
  try {
    return { status: 'ok', subject: 'tokens_file', detail: `${new TokenStore(config.tokensFile).tokens.length} tokens in ${config.tokensFile}` };
  } catch (error) {
    return { status: 'fail', subject: 'tokens_file', detail: (error as Error).message };
  }
}

function checkDataDir(config: GatewayConfig): ConfigCheckResult {
  // The nearest directory that exists must be writable: the gateway makes the rest.
  let directory = config.dataDir;
  while (!existsSync(directory) && dirname(directory) !== directory) directory = dirname(directory);
  try {
    accessSync(directory, fsConstants.W_OK);
    return { status: 'ok', subject: 'data_dir', detail: `${config.dataDir} ${directory === config.dataDir ? 'is writable' : 'can be made'}` };
  } catch {
    return { status: 'fail', subject: 'data_dir', detail: `${config.dataDir}: ${directory} is not writable` };
  }
}

/**
 * What `gitgate serve` would find wrong at start, or soon after, without starting it: the TLS
 * pair and its expiry, upstream directories, every secret source, the policies, the secret rules,
 * the tokens file, the data directory. Nothing is written and no secret is printed.
 */
export async function checkConfig(config: GatewayConfig, now = Date.now()): Promise<ConfigCheckResult[]> {
  return [
    ...checkTls(config, now),
    ...checkUpstreams(config),
    ...checkSecretSources(config),
    await checkPolicies(config),
    checkSecretRules(config),
    checkTokens(config),
    checkDataDir(config),
  ];
}

/** `gitgate config check`: validates a config as `serve` would, then says what is wrong; exit 1 if anything is. */
export const configCheckCommand: Command = {
  words: ['config', 'check'],
  summary: 'Check a config as gitgate serve would at start (TLS, upstreams, secrets, policies, tokens) without serving',
  usage: '[--config gitgate.yaml]\n\nExit code 0 when the gateway can start with it (warnings aside), 1 when something must be fixed first.',
  options: { config: { type: 'string' } },
  async run(args, io) {
    const config = configFromArgs(args);
    const results = await checkConfig(config);
    const label = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
    io.stdout(`config: ${config.source ?? 'none given: the embedded demo defaults'}\n`);
    for (const result of results) io.stdout(`${label[result.status]}  ${result.subject}: ${result.detail}\n`);
    const failed = results.filter((r) => r.status === 'fail').length;
    const warned = results.filter((r) => r.status === 'warn').length;
    io.stdout(failed === 0 ? `gitgate config check: ready to serve${warned > 0 ? ` (${warned} warning(s))` : ''}\n` : `gitgate config check: ${failed} problem(s) to fix before gitgate serve starts\n`);
    return failed === 0 ? 0 : 1;
  },
};
