import type { ReceivePackCommand } from '../../pack-parser/index.js';
import type { ChangedFile, CommitInfo, RefUpdate, SecretFinding as PolicySecretFinding } from '../../rego/index.js';
import { scanAddedLines, type SecretScanner } from '../secrets/index.js';
import { isAncestor, pushedCommitsFrom } from './ancestry.js';
import type { ObjectReader } from './object-reader.js';
import { rfc3339TimeOf } from './git-date.js';
import { diffTrees } from './tree-diff.js';

export interface InspectionLimits {
  /** Commits listed per ref update. */
  maxCommits: number;
  /** Changed files listed per ref update. */
  maxFiles: number;
}

// A push beyond these is listed in part (`truncated`), which the default policy sends to review:
// high enough that ordinary large pushes (thousands of commits, an import of a big tree) are
// listed whole; the policy input then stays within a few MB.
export const DEFAULT_INSPECTION_LIMITS: InspectionLimits = { maxCommits: 5000, maxFiles: 20000 };

/** Findings listed per ref update: one is enough to refuse; the list stays small. */
const MAX_FINDINGS_PER_REF = 1000;

function refTypeOf(ref: string): RefUpdate['ref_type'] {
  return ref.startsWith('refs/heads/') ? 'branch' : ref.startsWith('refs/tags/') ? 'tag' : 'other';
}

/** Peels annotated tags (pushed or upstream) down to the commit they name, if any. */
async function peelToCommit(id: string, reader: ObjectReader): Promise<string | undefined> {
  let current = id;
  for (let depth = 0; depth < 10; depth++) {
    const tag = reader.pushed.tags.get(current);
    if (tag === undefined) return (await reader.commit(current)) !== undefined ? current : undefined;
    if (tag.type !== 'commit' && tag.type !== 'tag') return undefined;
    current = tag.object;
  }
  return undefined;
}

export interface InspectionContext {
  reader: ObjectReader;
  scanner: SecretScanner;
  upstreamGitDir: string | undefined;
  limits: InspectionLimits;
}

/** Everything the policy needs to know about one `old new ref` command. */
export async function inspectRefUpdate(command: ReceivePackCommand, context: InspectionContext): Promise<RefUpdate> {
  const { reader, scanner, limits } = context;
  const update: RefUpdate = {
    ref: command.ref,
    ref_type: refTypeOf(command.ref),
    old: command.oldId,
    new: command.newId,
    operation: command.operation,
    fast_forward: null,
    commits: [],
    files: [],
    secret_findings: [],
    truncated: false,
  };
  if (command.operation === 'delete') return update;

  const newCommit = await peelToCommit(command.newId, reader);
  if (command.operation === 'update') {
    const oldCommit = await peelToCommit(command.oldId, reader);
    update.fast_forward = newCommit !== undefined && oldCommit !== undefined
      ? await isAncestor(oldCommit, newCommit, reader.pushed, context.upstreamGitDir)
      : null;
  }
  if (newCommit === undefined) return update;

  // Every pushed commit is diffed and its added lines scanned; only the lists in the input are
  // cut at the limits (`truncated`), never the scan.
  const { ids } = pushedCommitsFrom(newCommit, reader.pushed, Infinity);
  if (ids.length > limits.maxCommits) update.truncated = true;
  const files = new Map<string, ChangedFile>();
  // Oldest first, so that a path's newest state wins in `files`.
  for (let k = ids.length - 1; k >= 0; k--) {
    const id = ids[k]!;
    const commit = reader.pushed.commits.get(id)!;
    if (k < limits.maxCommits) update.commits.push(commitInfo(id, commit));
    const firstParent = commit.parents[0];
    const parentTree = firstParent === undefined ? undefined : (await reader.commit(firstParent))?.tree;
    // A parent that can be read neither from the push nor upstream: what the commit changed cannot
    // be told, so all of its tree counts as added (listed and scanned) and the update is marked.
    if (firstParent !== undefined && parentTree === undefined) update.truncated = true;
    const diff = await diffTrees(reader, parentTree, commit.tree, Infinity);
    for (const change of diff.changes) {
      const blob = await reader.blob(change.id); // for a deletion: the deleted blob's size and flag
      if (files.size < limits.maxFiles || files.has(change.path)) {
        files.set(change.path, {
          path: change.path,
          status: change.status,
          mode: change.mode,
          blob: change.id,
          size: blob?.size ?? 0,
          binary: blob?.binary ?? false,
        });
      } else {
        update.truncated = true;
      }
      // The scanner reads text up to its size limit; `content` is there only for those.
      const content = blob?.content;
      if (change.status === 'deleted' || content === undefined || change.mode === '160000') continue;
      const oldContent = change.oldId === undefined ? undefined : (await reader.blob(change.oldId))?.content;
      const result = scanAddedLines(scanner, { path: change.path, newContent: content, commit: id, ...(oldContent === undefined ? {} : { oldContent }) });
      for (const finding of result.findings) {
        if (finding.status !== 'detected') continue;
        if (update.secret_findings.length >= MAX_FINDINGS_PER_REF) {
          update.truncated = true;
          break;
        }
        const policyFinding: PolicySecretFinding = {
          rule: finding.ruleId,
          description: finding.description,
          path: finding.path,
          line: finding.line,
          commit: id,
          preview: finding.preview,
          fingerprint: finding.fingerprint,
        };
        update.secret_findings.push(policyFinding);
      }
    }
  }
  update.commits.reverse(); // newest first
  update.files = [...files.values()];
  return update;
}

function commitInfo(id: string, commit: import('../../pack-parser/index.js').GitCommit): CommitInfo {
  return {
    id,
    author: { name: commit.author.name, email: commit.author.email, time: rfc3339TimeOf(commit.author, 'author', id) },
    committer: { name: commit.committer.name, email: commit.committer.email, time: rfc3339TimeOf(commit.committer, 'committer', id) },
    message: commit.message,
    parents: [...commit.parents],
    signed: commit.signatures.length > 0,
  };
}
