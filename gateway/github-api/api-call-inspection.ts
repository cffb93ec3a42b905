import type { ApiInput, GrantedApproval, Identity, RepositoryInfo, RequestInfo } from '../../rego/index.js';
import { INPUT_VERSION } from '../../rego/index.js';
import type { SecretScanner } from '../secrets/index.js';
import { scanWrittenContent } from './content-scan.js';
import { GitHubApiError } from './errors.js';
import type { GitHubUpstream } from './github-upstream.js';
import type { RouteMatch } from './route-matcher.js';
import type { HttpMethod } from './route-table.js';

export interface ApiCall {
  method: HttpMethod;
  /** The path below the prefix, without the query string (`/repos/acme/app/pulls/1/merge`). */
  path: string;
  query: URLSearchParams;
  match: RouteMatch | undefined;
  /** The parsed JSON body of a write; undefined without one. */
  body: unknown;
  repository: RepositoryInfo | null;
}

export interface PullRequestFacts {
  number: number;
  baseRef: string;
  headRef: string;
  headSha: string;
  /** The base branch's tip when the pull request was read. */
  baseSha: string | undefined;
}

export interface InspectedCall {
  input: ApiInput;
  pullRequest: PullRequestFacts | undefined;
  /** The merge is sent with `sha` pinned to the head the policy saw, so a head moved since fails on GitHub (409). */
  bodyOverride: Record<string, unknown> | undefined;
}

export interface InspectionContext {
  identity: Identity;
  request: RequestInfo;
  grantedApprovals: GrantedApproval[];
  upstream: GitHubUpstream;
  /** The gateway's credential for this call's repository. */
  authorization: () => Promise<string>;
  scanner: SecretScanner;
}

const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body fields the route declares, scalars and string arrays only: never the whole body. */
export function selectedBodyFields(fields: readonly string[] | undefined, body: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (fields === undefined || !isRecord(body)) return out;
  for (const field of fields) {
    const value = body[field];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[field] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out[field] = [...value];
  }
  return out;
}

function branchRef(name: string): string {
  return name.startsWith('refs/') ? name : `refs/heads/${name}`;
}

/** The ref a call changes, when the gateway can tell without asking GitHub. */
function directTargetRef(call: ApiCall, template: string, params: Record<string, string>): string | undefined {
  const body = isRecord(call.body) ? call.body : {};
  const r = '/repos/{owner}/{repo}';
  if (template === `${r}/contents/{path}` && call.method !== 'GET' && call.method !== 'HEAD') {
    const branch = typeof body['branch'] === 'string' && body['branch'] !== '' ? body['branch'] : call.repository?.default_branch;
    return branch === undefined ? undefined : branchRef(branch);
  }
  if (template === `${r}/git/refs/{ref}` && params['ref'] !== undefined) return `refs/${params['ref'].replace(/^refs\//, '')}`;
  if (template === `${r}/git/refs` && typeof body['ref'] === 'string' && body['ref'].startsWith('refs/')) return body['ref'];
  if (template === `${r}/merges` && typeof body['base'] === 'string') return branchRef(body['base']);
  if (template.startsWith(`${r}/branches/{branch}`) && params['branch'] !== undefined) return `refs/heads/${params['branch']}`;
  return undefined;
}

/** GitHub's own view of the pull request being merged: its base branch and head commit. */
async function fetchPullRequest(params: Record<string, string>, context: InspectionContext): Promise<PullRequestFacts> {
  const path = `/repos/${encodeURIComponent(params['owner']!)}/${encodeURIComponent(params['repo']!)}/pulls/${encodeURIComponent(params['pull_number']!)}`;
  const answer = await context.upstream.json('GET', path, await context.authorization());
  const body = answer.body as { number?: unknown; base?: { ref?: unknown; sha?: unknown }; head?: { ref?: unknown; sha?: unknown } } | undefined;
  if (answer.status === 404) throw new GitHubApiError('API_UPSTREAM_FAILED', 404, `pull request #${params['pull_number']} of ${params['owner']}/${params['repo']} does not exist (GitHub answered 404)`);
  const baseRef = body?.base?.ref;
  const headSha = body?.head?.sha;
  if (answer.status !== 200 || typeof baseRef !== 'string' || typeof headSha !== 'string' || !OBJECT_ID.test(headSha)) {
    throw new GitHubApiError(
      'API_UPSTREAM_FAILED',
      502,
      `gitgate could not read pull request #${params['pull_number']} from GitHub (HTTP ${answer.status}) to check its base branch, so the merge is refused; try again later`,
    );
  }
  const baseSha = typeof body?.base?.sha === 'string' && OBJECT_ID.test(body.base.sha) ? body.base.sha : undefined;
  return { number: Number(params['pull_number']), baseRef: branchRef(baseRef), headRef: typeof body?.head?.ref === 'string' ? body.head.ref : '', headSha, baseSha };
}

/** Reads a blob's content from GitHub (to scan only the added lines of a file update). */
async function readBlob(owner: string, repo: string, sha: string, context: InspectionContext): Promise<Buffer | undefined> {
  if (!OBJECT_ID.test(sha)) return undefined;
  const answer = await context.upstream.json('GET', `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/git/blobs/${sha}`, await context.authorization());
  const body = answer.body as { content?: unknown; encoding?: unknown } | undefined;
  if (answer.status !== 200 || typeof body?.content !== 'string') return undefined;
  return Buffer.from(body.content, body.encoding === 'base64' ? 'base64' : 'utf8');
}

/** Builds the policy input of kind `api`, asking GitHub what the decision needs (a merge's pull request). */
export async function inspectApiCall(call: ApiCall, context: InspectionContext): Promise<InspectedCall> {
  const template = call.match?.template ?? null;
  const params = call.match?.params ?? {};
  const query: Record<string, string> = {};
  for (const [key, value] of call.query) query[key] = value;
  const api: ApiInput['api'] = {
    method: call.method,
    route: template,
    path: call.path,
    params: { ...params },
    query,
    body: selectedBodyFields(call.match?.route.bodyFields, call.body),
  };
  let pullRequest: PullRequestFacts | undefined;
  let bodyOverride: Record<string, unknown> | undefined;
  if (template !== null) {
    if (call.method === 'PUT' && template === '/repos/{owner}/{repo}/pulls/{pull_number}/merge') {
      pullRequest = await fetchPullRequest(params, context);
      api.target_ref = pullRequest.baseRef;
      api.pull_request = { number: pullRequest.number, base_ref: pullRequest.baseRef, head_ref: pullRequest.headRef, head_sha: pullRequest.headSha };
      if (!(isRecord(call.body) && typeof call.body['sha'] === 'string')) bodyOverride = { ...(isRecord(call.body) ? call.body : {}), sha: pullRequest.headSha };
    } else {
      const target = directTargetRef(call, template, params);
      if (target !== undefined) api.target_ref = target;
    }
    if (call.method === 'POST' && template === '/repos/{owner}/{repo}/git/trees' && isRecord(call.body) && Array.isArray(call.body['tree'])) {
      // The paths a new tree holds, so the policy sees e.g. a CI definition written through the git database API.
      const paths = call.body['tree'].flatMap((entry: unknown) => (isRecord(entry) && typeof entry['path'] === 'string' ? [entry['path']] : []));
      api.body['tree_paths'] = paths.slice(0, 1000);
    }
    const owner = params['owner'];
    const repo = params['repo'];
    if (owner !== undefined && repo !== undefined) {
      const findings = await scanWrittenContent(template, call.method, params, call.body, context.scanner, (sha) => readBlob(owner, repo, sha, context));
      if (findings !== undefined) api.secret_findings = findings;
    }
  }
  const input: ApiInput = {
    version: INPUT_VERSION,
    kind: 'api',
    request: context.request,
    identity: context.identity,
    repository: call.repository,
    api,
    granted_approvals: context.grantedApprovals,
  };
  return { input, pullRequest, bodyOverride };
}
