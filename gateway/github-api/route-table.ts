/**
 * GitHub REST API routes gitgate knows, as templates from GitHub's REST reference
 * (https://docs.github.com/rest). A call matching none of them has `route: null` in the policy
 * input: writes to unknown routes are denied by the default policy, unknown reads follow
 * `data.gitgate.config.api.deny_unknown_read_routes`.
 *
 * `{path}`, `{ref}`, `{branch}` and `{basehead}` may span several path segments (file paths,
 * `heads/feature/x`, `feature/x`, `main...feature/x`), as GitHub accepts them unescaped.
 */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDefinition {
  methods: readonly HttpMethod[];
  template: string;
  /** Request body fields copied into the policy input (scalars and arrays of strings only). */
  bodyFields?: readonly string[];
}

/** Parameters that match one or more segments. */
export const MULTI_SEGMENT_PARAMS: ReadonlySet<string> = new Set(['path', 'ref', 'branch', 'basehead']);

const R = '/repos/{owner}/{repo}';
const G: readonly HttpMethod[] = ['GET'];
const route = (methods: readonly HttpMethod[], template: string, bodyFields?: readonly string[]): RouteDefinition =>
  bodyFields === undefined ? { methods, template } : { methods, template, bodyFields };

/** Calls that are not about one repository; every other call must name a configured repository. */
export const ACCOUNT_ROUTES: readonly RouteDefinition[] = [route(G, '/user'), route(G, '/rate_limit'), route(G, '/meta'), route(G, '/octocat'), route(G, '/zen')];

const PROTECTION = `${R}/branches/{branch}/protection`;

export const REPOSITORY_ROUTES: readonly RouteDefinition[] = [
  // Repositories
  route(G, R),
  route(['PATCH'], R, ['name', 'default_branch', 'private', 'visibility', 'archived', 'allow_force_pushes']),
  route(['DELETE'], R),
  route(G, `${R}/languages`),
  route(G, `${R}/contributors`),
  route(G, `${R}/tags`),
  route(['GET', 'PUT'], `${R}/topics`),
  route(['GET', 'POST'], `${R}/forks`),
  route(['POST'], `${R}/dispatches`, ['event_type']),
  route(['GET', 'PUT', 'DELETE'], `${R}/collaborators/{username}`, ['permission']),
  route(G, `${R}/collaborators`),
  route(['GET', 'POST'], `${R}/hooks`),
  route(['GET', 'PATCH', 'DELETE'], `${R}/hooks/{hook_id}`),
  route(['GET', 'POST'], `${R}/keys`, ['read_only']),
  route(['GET', 'DELETE'], `${R}/keys/{key_id}`),
  // Branches and their protection
  route(G, `${R}/branches`),
  route(G, `${R}/branches/{branch}`),
  route(['POST'], `${R}/branches/{branch}/rename`, ['new_name']),
  route(['POST'], `${R}/merge-upstream`, ['branch']),
  route(['GET', 'PUT', 'DELETE'], PROTECTION),
  route(['GET', 'POST', 'DELETE'], `${PROTECTION}/enforce_admins`),
  route(['GET', 'PATCH', 'DELETE'], `${PROTECTION}/required_pull_request_reviews`),
  route(['GET', 'PATCH', 'DELETE'], `${PROTECTION}/required_status_checks`),
  route(['GET', 'POST', 'PUT', 'DELETE'], `${PROTECTION}/required_status_checks/contexts`),
  route(['GET', 'DELETE'], `${PROTECTION}/restrictions`),
  route(['GET', 'POST', 'DELETE'], `${PROTECTION}/required_signatures`),
  route(['GET', 'POST'], `${R}/rulesets`),
  route(['GET', 'PUT', 'DELETE'], `${R}/rulesets/{ruleset_id}`),
  // Contents
  route(G, `${R}/readme`),
  route(['GET', 'HEAD'], `${R}/contents/{path}`),
  route(['PUT', 'DELETE'], `${R}/contents/{path}`, ['branch', 'sha']),
  // Commits, statuses, checks
  route(G, `${R}/commits`),
  route(G, `${R}/commits/{ref}`),
  route(G, `${R}/commits/{ref}/status`),
  route(G, `${R}/commits/{ref}/statuses`),
  route(G, `${R}/commits/{ref}/check-runs`),
  route(G, `${R}/compare/{basehead}`),
  route(['POST'], `${R}/statuses/{sha}`, ['state', 'context']),
  route(['POST'], `${R}/check-runs`, ['name', 'head_sha', 'status', 'conclusion']),
  route(['GET', 'PATCH'], `${R}/check-runs/{check_run_id}`, ['status', 'conclusion']),
  route(G, `${R}/check-suites/{check_suite_id}`),
  // Git database
  route(G, `${R}/git/blobs/{file_sha}`),
  route(['POST'], `${R}/git/blobs`, ['encoding']),
  route(G, `${R}/git/commits/{commit_sha}`),
  route(['POST'], `${R}/git/commits`, ['tree', 'parents']),
  route(G, `${R}/git/trees/{tree_sha}`),
  route(['POST'], `${R}/git/trees`, ['base_tree']),
  route(G, `${R}/git/ref/{ref}`),
  route(G, `${R}/git/matching-refs/{ref}`),
  route(['POST'], `${R}/git/refs`, ['ref', 'sha']),
  route(['PATCH'], `${R}/git/refs/{ref}`, ['sha', 'force']),
  route(['DELETE'], `${R}/git/refs/{ref}`),
  route(G, `${R}/git/tags/{tag_sha}`),
  route(['POST'], `${R}/git/tags`, ['tag', 'object', 'type']),
  // Pull requests
  route(G, `${R}/pulls`),
  route(['POST'], `${R}/pulls`, ['base', 'head', 'draft']),
  route(G, `${R}/pulls/{pull_number}`),
  route(['PATCH'], `${R}/pulls/{pull_number}`, ['base', 'state']),
  route(G, `${R}/pulls/{pull_number}/commits`),
  route(G, `${R}/pulls/{pull_number}/files`),
  route(G, `${R}/pulls/{pull_number}/merge`),
  route(['PUT'], `${R}/pulls/{pull_number}/merge`, ['merge_method', 'sha']),
  route(['PUT'], `${R}/pulls/{pull_number}/update-branch`, ['expected_head_sha']),
  route(['GET', 'POST'], `${R}/pulls/{pull_number}/reviews`, ['event', 'commit_id']),
  route(['GET', 'PUT', 'DELETE'], `${R}/pulls/{pull_number}/reviews/{review_id}`),
  route(['POST'], `${R}/pulls/{pull_number}/reviews/{review_id}/events`, ['event']),
  route(['PUT'], `${R}/pulls/{pull_number}/reviews/{review_id}/dismissals`),
  route(['GET', 'POST'], `${R}/pulls/{pull_number}/comments`, ['commit_id', 'path']),
  route(['POST'], `${R}/pulls/{pull_number}/comments/{comment_id}/replies`),
  route(['GET', 'POST', 'DELETE'], `${R}/pulls/{pull_number}/requested_reviewers`, ['reviewers', 'team_reviewers']),
  route(G, `${R}/pulls/comments`),
  route(['GET', 'PATCH', 'DELETE'], `${R}/pulls/comments/{comment_id}`),
  route(['POST'], `${R}/merges`, ['base', 'head']),
  // Issues and comments
  route(G, `${R}/issues`),
  route(['POST'], `${R}/issues`, ['labels', 'assignees']),
  route(['GET', 'PATCH'], `${R}/issues/{issue_number}`, ['state', 'state_reason']),
  route(['GET', 'POST'], `${R}/issues/{issue_number}/comments`),
  route(G, `${R}/issues/comments`),
  route(['GET', 'PATCH', 'DELETE'], `${R}/issues/comments/{comment_id}`),
  route(['GET', 'POST', 'PUT', 'DELETE'], `${R}/issues/{issue_number}/labels`, ['labels']),
  route(['DELETE'], `${R}/issues/{issue_number}/labels/{name}`),
  route(['POST', 'DELETE'], `${R}/issues/{issue_number}/assignees`, ['assignees']),
  route(['PUT', 'DELETE'], `${R}/issues/{issue_number}/lock`, ['lock_reason']),
  route(G, `${R}/issues/{issue_number}/events`),
  route(G, `${R}/issues/{issue_number}/timeline`),
  route(['GET', 'POST'], `${R}/labels`),
  route(['GET', 'PATCH', 'DELETE'], `${R}/labels/{name}`),
  route(['GET', 'POST'], `${R}/milestones`),
  route(['GET', 'PATCH', 'DELETE'], `${R}/milestones/{milestone_number}`),
  // Releases
  route(G, `${R}/releases`),
  route(['POST'], `${R}/releases`, ['tag_name', 'target_commitish', 'draft', 'prerelease']),
  route(G, `${R}/releases/latest`),
  route(G, `${R}/releases/tags/{tag}`),
  route(['POST'], `${R}/releases/generate-notes`, ['tag_name', 'target_commitish']),
  route(['GET', 'PATCH', 'DELETE'], `${R}/releases/{release_id}`, ['tag_name', 'target_commitish', 'draft', 'prerelease']),
  route(G, `${R}/releases/{release_id}/assets`),
  route(['GET', 'PATCH', 'DELETE'], `${R}/releases/assets/{asset_id}`),
  // Actions
  route(G, `${R}/actions/workflows`),
  route(G, `${R}/actions/workflows/{workflow_id}`),
  route(['POST'], `${R}/actions/workflows/{workflow_id}/dispatches`, ['ref']),
  route(['PUT'], `${R}/actions/workflows/{workflow_id}/enable`),
  route(['PUT'], `${R}/actions/workflows/{workflow_id}/disable`),
  route(G, `${R}/actions/runs`),
  route(['GET', 'DELETE'], `${R}/actions/runs/{run_id}`),
  route(['POST'], `${R}/actions/runs/{run_id}/rerun`),
  route(['POST'], `${R}/actions/runs/{run_id}/rerun-failed-jobs`),
  route(['POST'], `${R}/actions/runs/{run_id}/cancel`),
  route(G, `${R}/actions/runs/{run_id}/jobs`),
  route(G, `${R}/actions/runs/{run_id}/logs`),
  route(G, `${R}/actions/runs/{run_id}/artifacts`),
  route(G, `${R}/actions/jobs/{job_id}`),
  route(G, `${R}/actions/jobs/{job_id}/logs`),
  route(G, `${R}/actions/artifacts`),
  route(['GET', 'DELETE'], `${R}/actions/artifacts/{artifact_id}`),
  route(G, `${R}/actions/secrets`),
  route(G, `${R}/actions/secrets/public-key`),
  route(['GET', 'PUT', 'DELETE'], `${R}/actions/secrets/{secret_name}`),
  route(['GET', 'POST'], `${R}/actions/variables`, ['name']),
  route(['GET', 'PATCH', 'DELETE'], `${R}/actions/variables/{name}`),
  // Deployments and environments
  route(['GET', 'POST'], `${R}/deployments`, ['ref', 'environment']),
  route(['GET', 'DELETE'], `${R}/deployments/{deployment_id}`),
  route(['GET', 'POST'], `${R}/deployments/{deployment_id}/statuses`, ['state', 'environment']),
  route(G, `${R}/environments`),
  route(['GET', 'PUT', 'DELETE'], `${R}/environments/{environment_name}`),
];
