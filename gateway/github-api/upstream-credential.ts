import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { GitHubCredentialConfig } from '../config/github-api-config.js';
import { readSecretSource, type SecretSource } from '../config/secret-source.js';
import type { SecretMasker } from '../secrets/index.js';
import { GitHubApiError } from './errors.js';
import type { GitHubUpstream } from './github-upstream.js';

/** The repository a call is about (`owner`, `repo` as in the URL), or undefined for account calls. */
export interface CredentialScope {
  owner: string;
  repo: string;
}

/** Gives the `Authorization` header gitgate sends to GitHub; the value never leaves the gateway. */
export interface GitHubCredential {
  authorization(scope: CredentialScope | undefined): Promise<string>;
  /** GitHub refused this header (401): forget a cached token so the next call gets a fresh one. */
  refused(authorization: string): void;
}

function readSecret(source: SecretSource, what: string): string {
  const unavailable = (reason: string): GitHubApiError =>
    new GitHubApiError(
      'API_CREDENTIAL_UNAVAILABLE',
      503,
      source.kind === 'env'
        ? `gitgate's GitHub ${what} is not available: the variable ${source.name} is not set. Tell the gitgate operators.`
        : `gitgate's GitHub ${what} is not available: cannot read ${source.path} (${reason}). Tell the gitgate operators.`,
    );
  // A variable of blanks is as good as unset; the value is used trimmed.
  const value = readSecretSource(source, unavailable).trim();
  if (value === '' && source.kind === 'env') throw unavailable('unset');
  return value;
}

/** A personal access token or other static token, read from the environment or a file on use. */
export class StaticTokenCredential implements GitHubCredential {
  constructor(
    private readonly source: SecretSource,
    private readonly masker: SecretMasker,
  ) {}

  authorization(): Promise<string> {
    const token = readSecret(this.source, 'token');
    if (token.length >= 8) this.masker.addKnownSecret(token);
    return Promise.resolve(`Bearer ${token}`);
  }

  refused(): void {}
}

interface CachedToken {
  authorization: string;
  expiresAt: number;
}

export interface GitHubAppCredentialOptions {
  appId: string;
  privateKey: SecretSource;
  installationId: number | undefined;
  refreshBeforeExpirySeconds: number;
  now?: () => number;
}

/**
 * A GitHub App: an RS256 JWT signed with the app's private key (valid 10 minutes, `iat` 60 s in
 * the past against clock drift) buys installation tokens, each scoped to the one repository of
 * the call, cached until `refreshBeforeExpirySeconds` before they expire. Concurrent calls for the
 * same repository share one exchange.
 */
export class GitHubAppCredential implements GitHubCredential {
  private key: KeyObject | undefined;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<CachedToken>>();
  private readonly installations = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    private readonly options: GitHubAppCredentialOptions,
    private readonly upstream: GitHubUpstream,
    private readonly masker: SecretMasker,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** How many installation tokens this credential has minted (for logs and tests). */
  exchanges = 0;

  async appJwt(): Promise<string> {
    if (this.key === undefined) {
      const pem = readSecret(this.options.privateKey, 'App private key');
      try {
        this.key = createPrivateKey(pem);
      } catch {
        throw new GitHubApiError('API_CREDENTIAL_UNAVAILABLE', 503, "gitgate's GitHub App private key is not a valid PEM private key. Tell the gitgate operators.");
      }
    }
    const seconds = Math.floor(this.now() / 1000);
    return new SignJWT({}).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).setIssuer(this.options.appId).setIssuedAt(seconds - 60).setExpirationTime(seconds + 540).sign(this.key);
  }

  async authorization(scope: CredentialScope | undefined): Promise<string> {
    const key = scope === undefined ? '*' : `${scope.owner}/${scope.repo}`.toLowerCase();
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresAt - this.now() > this.options.refreshBeforeExpirySeconds * 1000) return cached.authorization;
    let minting = this.pending.get(key);
    if (minting === undefined) {
      minting = this.mint(scope).finally(() => this.pending.delete(key));
      this.pending.set(key, minting);
    }
    const token = await minting;
    this.tokens.set(key, token);
    return token.authorization;
  }

  refused(authorization: string): void {
    for (const [key, token] of this.tokens) if (token.authorization === authorization) this.tokens.delete(key);
  }

  private async installationId(scope: CredentialScope | undefined): Promise<number> {
    if (this.options.installationId !== undefined) return this.options.installationId;
    if (scope === undefined) {
      throw new GitHubApiError('API_CREDENTIAL_UNAVAILABLE', 403, 'gitgate answers calls outside a repository with a GitHub App only when github_api.credential.app.installation_id is set');
    }
    const key = `${scope.owner}/${scope.repo}`.toLowerCase();
    const known = this.installations.get(key);
    if (known !== undefined) return known;
    const path = `/repos/${encodeURIComponent(scope.owner)}/${encodeURIComponent(scope.repo)}/installation`;
    const answer = await this.upstream.json('GET', path, `Bearer ${await this.appJwt()}`);
    const id = (answer.body as { id?: unknown } | undefined)?.id;
    if (answer.status !== 200 || typeof id !== 'number') {
      throw new GitHubApiError(
        'API_CREDENTIAL_UNAVAILABLE',
        answer.status === 404 ? 404 : 502,
        `gitgate's GitHub App is not installed on ${scope.owner}/${scope.repo} (GitHub answered HTTP ${answer.status} to the installation lookup). Ask the operators to install it there.`,
      );
    }
    this.installations.set(key, id);
    return id;
  }

  private async mint(scope: CredentialScope | undefined): Promise<CachedToken> {
    const installation = await this.installationId(scope);
    const request = scope === undefined ? { permissions: { metadata: 'read' } } : { repositories: [scope.repo] };
    const answer = await this.upstream.json('POST', `/app/installations/${installation}/access_tokens`, `Bearer ${await this.appJwt()}`, request);
    const body = answer.body as { token?: unknown; expires_at?: unknown } | undefined;
    const expiresAt = typeof body?.expires_at === 'string' ? Date.parse(body.expires_at) : NaN;
    if (answer.status !== 201 || typeof body?.token !== 'string' || Number.isNaN(expiresAt)) {
      const message = typeof (answer.body as { message?: unknown } | undefined)?.message === 'string' ? `: ${(answer.body as { message: string }).message}` : '';
      throw new GitHubApiError('API_CREDENTIAL_UNAVAILABLE', 502, `GitHub refused gitgate an installation token (HTTP ${answer.status}${message}). Tell the gitgate operators.`);
    }
    this.exchanges += 1;
    this.masker.addKnownSecret(body.token);
    return { authorization: `Bearer ${body.token}`, expiresAt };
  }
}

export function createGitHubCredential(config: GitHubCredentialConfig, upstream: GitHubUpstream, masker: SecretMasker): GitHubCredential {
  if (config.kind === 'token') return new StaticTokenCredential(config.source, masker);
  return new GitHubAppCredential(
    { appId: config.appId, privateKey: config.privateKey, installationId: config.installationId, refreshBeforeExpirySeconds: config.refreshBeforeExpirySeconds },
    upstream,
    masker,
  );
}
