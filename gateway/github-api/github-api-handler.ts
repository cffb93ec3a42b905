import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { DecisionRecord, GrantedApproval, Identity, PolicyEngine, RequestInfo } from '../../rego/index.js';
import type { ApprovalRequest, ApprovalService } from '../approvals/index.js';
import type { AuditLog } from '../audit/index.js';
import { decisionLogEntry, RequestAuditTrail } from '../audit/index.js';
import type { GatewayConfig } from '../config/config-types.js';
import type { GitHubApiConfig } from '../config/github-api-config.js';
import type { GatewayHttpHandler } from '../http/http-handler.js';
import { authenticate } from '../identity/authenticate.js';
import type { OidcVerifier } from '../identity/oidc-verifier.js';
import type { TokenStore } from '../identity/token-store.js';
import { requestInfo } from '../push/push-gate.js';
import type { SecretMasker, SecretScanner } from '../secrets/index.js';
import { apiApprovalFingerprint, approvalRefsOf, findApproval, waitForApiApproval } from './api-approval.js';
import { inspectApiCall, type InspectedCall } from './api-call-inspection.js';
import { forwardedHeaders, normalizedAuthorization, parseJsonBody, readBody, resolveApiRepository, sendApiError, type ApiRepository } from './api-request.js';
import { GitHubApiError } from './errors.js';
import { GitHubUpstream } from './github-upstream.js';
import { pullRequestChanges } from './pull-request-changes.js';
import { relayResponse } from './response-relay.js';
import { apiPathSegments, InvalidApiPathError, RouteMatcher, type RouteMatch } from './route-matcher.js';
import type { HttpMethod } from './route-table.js';
import { createGitHubCredential, type CredentialScope, type GitHubCredential } from './upstream-credential.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';

export interface GitHubApiHandlerDependencies {
  config: GatewayConfig;
  api: GitHubApiConfig;
  tokens: TokenStore;
  oidc: OidcVerifier[];
  policy: PolicyEngine;
  scanner: SecretScanner;
  masker: SecretMasker;
  logger: Logger;
  approvals?: ApprovalService | undefined;
  audit?: AuditLog | undefined;
  /** Replaces the credential built from the config (tests). */
  credential?: GitHubCredential;
  /** Counts each call (gitgate_api_calls_total); none: not counted. */
  metrics?: GatewayMetrics | undefined;
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** What one call came to, for the log and the audit event. */
interface CallRecord {
  info: RequestInfo;
  /** The call's events in the audit log (none without one). */
  trail: RequestAuditTrail;
  identity?: Identity;
  method: string;
  path: string;
  route: string | null;
  params: Record<string, string>;
  repository: string | null;
  decision: 'allow' | 'deny' | 'approval' | 'none';
  decisionId?: string;
  denyCodes?: string[];
  approvalId?: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  error?: string;
}

/**
 * The GitHub REST API through gitgate, under `github_api.prefix`: the agent authenticates as for
 * git; the call is matched to a route template, limited to configured repositories, decided by
 * the `gitgate/api` policy (a merge with its pull request's base and head read from GitHub, a
 * content write with its secret findings), held for approval when the policy asks, and forwarded
 * with the gateway's credential; the answer comes back with its headers and a masked body.
 */
export class GitHubApiHandler implements GatewayHttpHandler {
  readonly name = 'github-api';
  private readonly matcher = new RouteMatcher();
  private readonly upstream: GitHubUpstream;
  private readonly credential: GitHubCredential;

  constructor(private readonly deps: GitHubApiHandlerDependencies) {
    this.upstream = new GitHubUpstream(deps.api.baseUrl, deps.api.timeoutSeconds * 1000);
    this.credential = deps.credential ?? createGitHubCredential(deps.api.credential, this.upstream, deps.masker);
  }

  claims(_method: string, url: URL): boolean {
    const { prefix } = this.deps.api;
    return url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
  }

  async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    const path = url.pathname.slice(this.deps.api.prefix.length) || '/';
    const info = requestInfo(request.socket.remoteAddress, request.headers['user-agent']);
    const record: CallRecord = {
      info,
      trail: new RequestAuditTrail(this.deps.audit, info.id, this.deps.logger),
      method,
      path,
      route: null,
      params: {},
      repository: null,
      decision: 'none',
      status: 0,
      bytesIn: 0,
      bytesOut: 0,
    };
    try {
      await this.serve(request, response, url, record);
    } catch (error) {
      // A refused call's body is read to the end (and dropped) so the connection stays usable.
      if (!request.complete) request.resume();
      const known = error instanceof GitHubApiError ? error : error instanceof InvalidApiPathError ? new GitHubApiError('API_PATH_INVALID', 400, error.message) : undefined;
      if (known === undefined) {
        this.deps.logger.error({ err: error, request_id: record.info.id, path }, 'GitHub API call failed');
        record.error = 'INTERNAL';
        record.status = 500;
        sendApiError(response, 500, 'gitgate: internal error; the operators have the details in the gateway log', this.deps.api.documentationUrl);
      } else {
        record.error = known.code;
        record.status = known.status;
        sendApiError(response, known.status, this.deps.masker.maskString(known.message.startsWith('gitgate') ? known.message : `gitgate: ${known.message}`), this.deps.api.documentationUrl, { gitgate: { code: known.code } });
      }
    } finally {
      await this.record(record);
    }
  }

  private async serve(request: IncomingMessage, response: ServerResponse, url: URL, record: CallRecord): Promise<void> {
    const { api, masker } = this.deps;
    if (!METHODS.has(record.method)) throw new GitHubApiError('API_METHOD_NOT_ALLOWED', 405, `${record.method} is not a method of the GitHub REST API`);
    const method = record.method as HttpMethod;
    const auth = await authenticate(normalizedAuthorization(request.headers.authorization), this.deps.tokens, this.deps.oidc);
    if (!auth.ok) {
      request.resume();
      throw new GitHubApiError('API_UNAUTHENTICATED', 401, `${auth.message.replace(/^gitgate: /, '')} (send the gitgate token as "Authorization: Bearer <token>" or "token <token>")`);
    }
    record.identity = auth.identity;
    record.trail.identify(auth.identity);
    const segments = apiPathSegments(record.path);
    const match = this.matcher.match(method, segments);
    record.route = match?.template ?? null;
    record.params = match?.params ?? {};
    const repository = this.repositoryOf(segments, match);
    record.repository = repository?.info.name ?? null;
    if (repository !== undefined) record.trail.setRepository(repository.info.name);
    const raw = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(request, api.maxBodyBytes);
    if (method === 'GET' || method === 'HEAD') request.resume();
    record.bytesIn = raw.length;
    const body = parseJsonBody(raw);
    const scope: CredentialScope | undefined = repository === undefined ? undefined : { owner: repository.owner, repo: repository.repo };
    const authorization = (): Promise<string> => this.credential.authorization(scope);
    const inspected = await inspectApiCall(
      { method, path: record.path, query: url.searchParams, match, body, repository: repository?.info ?? null },
      { identity: auth.identity, request: record.info, grantedApprovals: [], upstream: this.upstream, authorization, scanner: this.deps.scanner },
    );
    const { input } = inspected;
    let decision = await this.decide(input, record);
    this.refuseWhenDenied(decision, method, record, undefined);
    let approved: { request: ApprovalRequest; granted: GrantedApproval[] } | undefined;
    if (decision.result.approvals.length > 0) {
      // Approvals are looked up only for calls that need one: most calls never touch the approval store.
      const refs = approvalRefsOf(input, inspected.pullRequest);
      const existing = this.deps.approvals === undefined ? undefined : await findApproval(this.deps.approvals, apiApprovalFingerprint(input, refs));
      if (existing?.approved !== undefined) {
        approved = existing.approved;
        input.granted_approvals = approved.granted;
        decision = await this.decide(input, record);
        this.refuseWhenDenied(decision, method, record, approved.request.id);
      }
      if (decision.result.approvals.length > 0) {
        const pull = inspected.pullRequest;
        const changes =
          pull === undefined || scope === undefined
            ? undefined
            : async () => pullRequestChanges(this.upstream, await authorization(), { ...scope, number: pull.number, baseRef: pull.baseRef }, masker);
        const outcome = await waitForApiApproval(request, { input, decision, refs, pending: existing?.pending, repositoryPath: repository?.path ?? '(account)', changes }, {
          approvals: this.deps.approvals,
          waitSeconds: this.deps.api.approvalWaitSeconds,
          onOpened: (approval) => {
            record.approvalId = approval.id;
            this.deps.logger.info({ request_id: record.info.id, approval_id: approval.id, wait_seconds: this.deps.api.approvalWaitSeconds }, 'GitHub API call held for approval');
          },
        });
        if ('pending' in outcome) {
          this.sendPending(response, record, outcome.pending);
          return;
        }
        approved = outcome;
        input.granted_approvals = outcome.granted;
        decision = await this.decide(input, record);
        this.refuseWhenDenied(decision, method, record, outcome.request.id);
        if (decision.result.approvals.length > 0) {
          const needs = decision.result.approvals.map((a) => `needs approval by ${a.group}: ${a.reason}`);
          throw new GitHubApiError('API_POLICY_DENIED', 403, masker.maskString(`gitgate refused ${method} ${record.path} even after approval ${outcome.request.id}:\n${needs.join('\n')}`));
        }
      }
    }
    if (approved !== undefined && this.deps.approvals !== undefined) {
      record.approvalId = approved.request.id;
      try {
        await this.deps.approvals.markUsed(approved.request.id, `gitgate sends the approved API call ${method} ${record.path}`);
      } catch (error) {
        throw new GitHubApiError('API_POLICY_DENIED', 409, `the approval ${approved.request.id} was used already (${(error as Error).message}); send the call again to ask for a new one`);
      }
    }
    await this.forward(request, response, method, url, inspected, raw, scope, authorization, record);
  }

  private refuseWhenDenied(decision: DecisionRecord, method: string, record: CallRecord, approvalId: string | undefined): void {
    if (decision.result.deny.length === 0) return;
    const reasons = decision.result.deny.map((d) => `${d.code}${d.ref === undefined ? '' : ` (${d.ref})`}: ${d.message}`);
    const after = approvalId === undefined ? '' : ` (approval ${approvalId} does not lift a denial)`;
    throw new GitHubApiError('API_POLICY_DENIED', 403, this.deps.masker.maskString(`gitgate refused ${method} ${record.path}${after}:\n${reasons.join('\n')}`));
  }

  private repositoryOf(segments: readonly string[], match: RouteMatch | undefined): ApiRepository | undefined {
    const { config, api } = this.deps;
    if (segments[0] === 'repos') {
      const [, owner, repo] = segments;
      if (owner === undefined || repo === undefined) throw new GitHubApiError('API_REPOSITORY_NOT_SERVED', 404, 'a repository call needs /repos/{owner}/{repo}');
      const repository = resolveApiRepository(config, api, owner, repo);
      if (repository === undefined) {
        throw new GitHubApiError(
          'API_REPOSITORY_NOT_SERVED',
          404,
          `repository ${owner}/${repo} is not served here: no configured upstream allows ${api.gitHost}/${owner}/${repo}. Ask the gitgate operators to add it.`,
        );
      }
      return repository;
    }
    if (match !== undefined && !match.template.startsWith('/repos/')) return undefined;
    throw new GitHubApiError(
      'API_REPOSITORY_NOT_SERVED',
      404,
      `gitgate serves the GitHub API for configured repositories only (/repos/{owner}/{repo}/...) and a few account calls (/user, /rate_limit, /meta); ${segments.length === 0 ? '/' : `/${segments.join('/')}`} is neither`,
    );
  }

  private async decide(input: InspectedCall['input'], record: CallRecord): Promise<DecisionRecord> {
    const decision = await this.deps.policy.evaluate('api', input);
    // On record (input masked) before the call goes anywhere: `gitgate audit replay` replays it.
    await this.durable(record, 'policy.decision', decisionLogEntry(decision, input));
    record.decisionId = decision.decision_id;
    record.decision = decision.result.deny.length > 0 ? 'deny' : decision.result.approvals.length > 0 ? 'approval' : 'allow';
    record.denyCodes = decision.result.deny.map((d) => d.code);
    return decision;
  }

  private sendPending(response: ServerResponse, record: CallRecord, approval: ApprovalRequest): void {
    const groups = approval.requirements.map((r) => `${r.count} of ${r.group}`).join(', ');
    record.status = 202;
    sendApiError(
      response,
      202,
      `gitgate: ${record.method} ${record.path} needs approval by ${groups} and was not sent to GitHub. Approve it at ${approval.url}, then send the same call again: it goes through once approved (approval ${approval.id}).`,
      this.deps.api.documentationUrl,
      { gitgate: { code: 'API_APPROVAL_PENDING', approval_id: approval.id, approval_url: approval.url, expires_at: approval.expires_at } },
    );
  }

  private async forward(
    request: IncomingMessage,
    response: ServerResponse,
    method: HttpMethod,
    url: URL,
    inspected: InspectedCall,
    raw: Buffer,
    scope: CredentialScope | undefined,
    authorization: () => Promise<string>,
    record: CallRecord,
  ): Promise<void> {
    const { api, masker } = this.deps;
    let credential = await authorization();
    const body = inspected.bodyOverride !== undefined ? Buffer.from(JSON.stringify(inspected.bodyOverride)) : method === 'GET' || method === 'HEAD' ? undefined : raw;
    // A write is on record before it reaches GitHub; if it cannot be recorded it is not sent.
    if (method !== 'GET' && method !== 'HEAD') await this.durable(record, 'api.call', { ...this.auditData(record), phase: 'forwarding' });
    const send = () => this.upstream.send({ method, path: `${record.path}${url.search}`, headers: forwardedHeaders(request, credential), body });
    let upstream = await send();
    if (upstream.statusCode === 401) {
      // GitHub refused gitgate's own credential (revoked, or an installation token it expired early):
      // GitHub did nothing with the call, so it is sent once more with a fresh credential.
      upstream.resume();
      this.credential.refused(credential);
      const fresh = await authorization();
      if (fresh !== credential) {
        credential = fresh;
        upstream = await send();
      }
      if (upstream.statusCode === 401) {
        upstream.resume();
        throw new GitHubApiError('API_UPSTREAM_FAILED', 502, "GitHub refused gitgate's credential (HTTP 401), not yours; nothing was done. Tell the gitgate operators.");
      }
    }
    record.status = upstream.statusCode ?? 502;
    const gatewayBase = `${this.publicBase(request)}${api.prefix}`;
    const rewrites = await this.repositoryIdRewrites(upstream.headers, scope, credential, gatewayBase);
    record.bytesOut = await relayResponse(upstream, response, { masker, upstreamBase: this.upstream.baseUrl, gatewayBase, head: method === 'HEAD', rewrites });
  }

  private readonly repositoryIds = new Map<string, number>();

  /**
   * GitHub's pagination links often name the repository by id (`/repositories/1296269/issues?page=2`),
   * a path gitgate does not serve. When they name the call's own repository, they are rewritten to
   * its `/repos/{owner}/{repo}` form; the id is read from GitHub once per repository.
   */
  private async repositoryIdRewrites(headers: IncomingMessage['headers'], scope: CredentialScope | undefined, credential: string, gatewayBase: string): Promise<[string, string][]> {
    const link = `${headers.link ?? ''} ${headers.location ?? ''}`;
    if (scope === undefined || !link.includes(`${this.upstream.baseUrl}/repositories/`)) return [];
    const key = `${scope.owner}/${scope.repo}`.toLowerCase();
    let id = this.repositoryIds.get(key);
    if (id === undefined) {
      const answer = await this.upstream.json('GET', `/repos/${encodeURIComponent(scope.owner)}/${encodeURIComponent(scope.repo)}`, credential);
      const found = (answer.body as { id?: unknown } | undefined)?.id;
      if (answer.status !== 200 || typeof found !== 'number') return [];
      id = found;
      this.repositoryIds.set(key, id);
    }
    return [[`${this.upstream.baseUrl}/repositories/${id}/`, `${gatewayBase}/repos/${scope.owner}/${scope.repo}/`]];
  }

  private publicBase(request: IncomingMessage): string {
    const { config } = this.deps;
    if (config.publicUrl !== undefined) return config.publicUrl;
    return `${config.tls === undefined ? 'http' : 'https'}://${request.headers.host ?? `${config.listen.host}:${config.listen.port}`}`;
  }

  private auditData(record: CallRecord): Record<string, unknown> {
    return {
      method: record.method,
      route: record.route,
      path: record.path,
      params: record.params,
      decision: record.decision,
      ...(record.decisionId === undefined ? {} : { decision_id: record.decisionId }),
      ...(record.denyCodes === undefined || record.denyCodes.length === 0 ? {} : { deny: record.denyCodes }),
      ...(record.approvalId === undefined ? {} : { approval_id: record.approvalId }),
      status: record.status,
      bytes_in: record.bytesIn,
      bytes_out: record.bytesOut,
      ...(record.error === undefined ? {} : { error: record.error }),
    };
  }

  /** Appends and waits until it is on disk; a call that cannot be recorded is refused (fail closed). */
  private async durable(record: CallRecord, type: 'api.call' | 'policy.decision', data: Record<string, unknown>): Promise<void> {
    try {
      await record.trail.record(type, data);
    } catch (error) {
      throw new GitHubApiError('API_UPSTREAM_FAILED', 503, `the call could not be recorded in the audit log (${(error as { code?: string }).code ?? 'error'}), so it was not sent; try again later`);
    }
  }

  /** One log line and one audit event per call, whatever came of it. */
  private async record(record: CallRecord): Promise<void> {
    const refusals = record.denyCodes !== undefined && record.denyCodes.length > 0 ? record.denyCodes : record.error === undefined ? [] : [record.error];
    // The method is the client's: anything outside the REST API's methods is counted as 'other'.
    this.deps.metrics?.apiCall(METHODS.has(record.method) ? record.method : 'other', record.decision, record.status, refusals);
    const data = this.auditData(record);
    this.deps.logger.info({ request_id: record.info.id, subject: record.identity?.subject, repository: record.repository, ...data }, 'GitHub API call');
    try {
      await record.trail.record('api.call', { ...data, phase: 'completed' });
    } catch (error) {
      this.deps.logger.error({ err: error, request_id: record.info.id }, 'the API call could not be recorded in the audit log');
    }
  }
}
