import type { CommitInfo } from '../../rego/index.js';
import type { ApprovalChangedFile } from '../approvals/index.js';
import type { SecretMasker } from '../secrets/index.js';
import type { GitHubUpstream } from './github-upstream.js';

/** What a merge brings, for the approver: the pull request's commits and changed files. */
export interface PullRequestChanges {
  commits: CommitInfo[];
  files: ApprovalChangedFile[];
}

const OBJECT_ID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** GitHub lists at most 250 commits and 3,000 files of a pull request; the first page is enough to judge. */
const PAGE = 100;

interface GitHubPerson {
  name?: unknown;
  email?: unknown;
  date?: unknown;
}

function person(value: GitHubPerson | undefined, masker: SecretMasker): CommitInfo['author'] {
  return {
    name: masker.maskString(typeof value?.name === 'string' ? value.name : ''),
    email: masker.maskString(typeof value?.email === 'string' ? value.email : ''),
    time: typeof value?.date === 'string' && TIME.test(value.date) ? value.date : '1970-01-01T00:00:00Z',
  };
}

function commitOf(raw: unknown, masker: SecretMasker): CommitInfo | undefined {
  const c = raw as { sha?: unknown; commit?: { author?: GitHubPerson; committer?: GitHubPerson; message?: unknown; verification?: { verified?: unknown } }; parents?: { sha?: unknown }[] };
  if (typeof c?.sha !== 'string' || !OBJECT_ID.test(c.sha)) return undefined;
  return {
    id: c.sha,
    author: person(c.commit?.author, masker),
    committer: person(c.commit?.committer, masker),
    message: masker.maskString(typeof c.commit?.message === 'string' ? c.commit.message : ''),
    parents: (c.parents ?? []).flatMap((p) => (typeof p?.sha === 'string' && OBJECT_ID.test(p.sha) ? [p.sha] : [])),
    signed: c.commit?.verification?.verified === true,
  };
}

const STATUS: Record<string, ApprovalChangedFile['status']> = { added: 'added', removed: 'deleted', renamed: 'renamed', modified: 'modified', changed: 'modified', copied: 'added' };

function fileOf(raw: unknown, ref: string): ApprovalChangedFile | undefined {
  const f = raw as { filename?: unknown; previous_filename?: unknown; status?: unknown; changes?: unknown; patch?: unknown };
  if (typeof f?.filename !== 'string' || f.filename === '') return undefined;
  const status = STATUS[typeof f.status === 'string' ? f.status : ''] ?? 'modified';
  return {
    ref,
    path: f.filename,
    ...(typeof f.previous_filename === 'string' ? { previous_path: f.previous_filename } : {}),
    status,
    size: 0,
    // GitHub gives no patch for binary files (nor for very large diffs).
    binary: f.patch === undefined && status !== 'deleted' && f.changes === 0,
  };
}

/**
 * The commits and files of a pull request as GitHub lists them (first 100 of each), masked. Best
 * effort: what cannot be read is left out, the approval request is opened anyway.
 */
export async function pullRequestChanges(
  upstream: GitHubUpstream,
  authorization: string,
  where: { owner: string; repo: string; number: number; baseRef: string },
  masker: SecretMasker,
): Promise<PullRequestChanges> {
  const base = `/repos/${encodeURIComponent(where.owner)}/${encodeURIComponent(where.repo)}/pulls/${where.number}`;
  const [commits, files] = await Promise.all([
    upstream.json('GET', `${base}/commits?per_page=${PAGE}`, authorization).catch(() => undefined),
    upstream.json('GET', `${base}/files?per_page=${PAGE}`, authorization).catch(() => undefined),
  ]);
  const list = (answer: { status: number; body: unknown } | undefined): unknown[] => (answer?.status === 200 && Array.isArray(answer.body) ? answer.body : []);
  return {
    commits: list(commits).flatMap((c) => commitOf(c, masker) ?? []),
    files: list(files).flatMap((f) => fileOf(f, where.baseRef) ?? []),
  };
}
