import type { ReceivePackCommand } from '../../pack-parser/index.js';
import type { ChangedFile, CommitInfo, RefUpdate, SecretFinding as PolicySecretFinding } from '../../rego/index.js';
import { scanAddedLines, type SecretScanner } from '../secrets/index.js';
import { isAncestor, pushedCommitsFrom } from './ancestry.js';
import { PushError } from './errors.js';
import { rfc3339TimeOf } from './git-date.js';
import type { ObjectReader } from './object-reader.js';
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

/**
 * What one push may list in the policy input over all its ref updates. Many refs at one long
 * history would otherwise list it once per ref: 100 branches at a 2,000-commit tip made a 65 MB
 * input. Past these the updates are listed in part (`truncated`).
 */
export const PUSH_LISTING_LIMITS: PushListingLimits = { commits: 20_000, files: 100_000, findings: 5_000 };

export interface PushListingLimits {
  commits: number;
  files: number;
  findings: number;
}

/**
 * Commits one push may have inspected, counted once per ref update that reaches them. Each is a
 * tree diff and a scan on the gateway's event loop; past this the push is refused
 * (PUSH_TOO_LARGE) rather than holding up every other request.
 */
export const MAX_INSPECTED_COMMITS_PER_PUSH = 100_000;

/**
 * File changes of analysed commits a push keeps for its other ref updates: a commit reached by
 * several refs is then diffed and scanned once. Beyond this it is analysed again for each.
 */
const MAX_REMEMBERED_FILE_CHANGES = 200_000;

/** A pushed commit as every ref update that reaches it sees it. */
interface CommitAnalysis {
  info: CommitInfo;
  /** Its first parent can be read neither from the push nor upstream: its whole tree counts as added. */
  parentUnknown: boolean;
  files: ChangedFile[];
  findings: PolicySecretFinding[];
}

/**
 * What the ref updates of one push share: the commits already analysed, and how much of
 * PUSH_LISTING_LIMITS and MAX_INSPECTED_COMMITS_PER_PUSH they have used.
 */
export class PushInspection {
  listedCommits = 0;
  listedFiles = 0;
  listedFindings = 0;
  inspectedCommits = 0;
  private readonly analyses = new Map<string, CommitAnalysis>();
  private rememberedFileChanges = 0;

  constructor(
    readonly listing: PushListingLimits = PUSH_LISTING_LIMITS,
    private readonly maxInspectedCommits = MAX_INSPECTED_COMMITS_PER_PUSH,
  ) {}

  /** Counts the commits one ref update reaches; throws PUSH_TOO_LARGE past the push's allowance. */
  inspect(commits: number, ref: string): void {
    this.inspectedCommits += commits;
    if (this.inspectedCommits > this.maxInspectedCommits) {
      throw new PushError(
        'PUSH_TOO_LARGE',
        `this push asks for more than ${this.maxInspectedCommits} commit inspections (${ref} alone reaches ${commits} pushed commits; ` +
          'each ref update counts the commits it brings). Push fewer refs, or the history in parts',
      );
    }
  }

  analysis(id: string): CommitAnalysis | undefined {
    return this.analyses.get(id);
  }

  remember(id: string, analysis: CommitAnalysis): void {
    if (this.rememberedFileChanges + analysis.files.length > MAX_REMEMBERED_FILE_CHANGES) return;
    this.rememberedFileChanges += analysis.files.length;
    this.analyses.set(id, analysis);
  }
}

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
  /** Shared by the ref updates of one push; a push of one update may leave it out. */
  push?: PushInspection;
}

/** Everything the policy needs to know about one `old new ref` command. */
export async function inspectRefUpdate(command: ReceivePackCommand, context: InspectionContext): Promise<RefUpdate> {
  const { reader, limits } = context;
  const shared = context.push ?? new PushInspection();
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
  shared.inspect(ids.length, command.ref);
  if (ids.length > limits.maxCommits) update.truncated = true;
  const files = new Map<string, ChangedFile>();
  // Oldest first, so that a path's newest state wins in `files`.
  for (let k = ids.length - 1; k >= 0; k--) {
    const id = ids[k]!;
    const analysis = shared.analysis(id) ?? (await analyzeCommit(id, context, shared));
    if (k < limits.maxCommits) {
      if (shared.listedCommits < shared.listing.commits) {
        update.commits.push(analysis.info);
        shared.listedCommits += 1;
      } else {
        update.truncated = true;
      }
    }
    if (analysis.parentUnknown) update.truncated = true;
    for (const file of analysis.files) {
      if (files.has(file.path)) files.set(file.path, file);
      else if (files.size < limits.maxFiles && shared.listedFiles < shared.listing.files) {
        files.set(file.path, file);
        shared.listedFiles += 1;
      } else {
        update.truncated = true;
      }
    }
    for (const finding of analysis.findings) {
      // A ref update with findings lists at least one whatever the push has listed already, so
      // that the secrets rule refuses it by itself rather than leaving it to an approval.
      const pushListFull = shared.listedFindings >= shared.listing.findings && update.secret_findings.length > 0;
      if (update.secret_findings.length >= MAX_FINDINGS_PER_REF || pushListFull) {
        update.truncated = true;
        break;
      }
      update.secret_findings.push(finding);
      shared.listedFindings += 1;
    }
  }
  update.commits.reverse(); // newest first
  update.files = [...files.values()];
  return update;
}

/**
 * One pushed commit: its files changed against its first parent (merges list what they bring in),
 * with blob size and binary flag, and the secrets on the lines it adds.
 */
async function analyzeCommit(id: string, context: InspectionContext, push: PushInspection): Promise<CommitAnalysis> {
  const { reader, scanner } = context;
  const commit = reader.pushed.commits.get(id)!;
  const firstParent = commit.parents[0];
  const parentTree = firstParent === undefined ? undefined : (await reader.commit(firstParent))?.tree;
  // A parent that can be read neither from the push nor upstream: what the commit changed cannot
  // be told, so all of its tree counts as added (listed and scanned) and the update is marked.
  const analysis: CommitAnalysis = { info: commitInfo(id, commit), parentUnknown: firstParent !== undefined && parentTree === undefined, files: [], findings: [] };
  const diff = await diffTrees(reader, parentTree, commit.tree, Infinity);
  for (const change of diff.changes) {
    const blob = await reader.blob(change.id); // for a deletion: the deleted blob's size and flag
    analysis.files.push({ path: change.path, status: change.status, mode: change.mode, blob: change.id, size: blob?.size ?? 0, binary: blob?.binary ?? false });
    // The scanner reads text up to its size limit; `content` is there only for those.
    const content = blob?.content;
    if (change.status === 'deleted' || content === undefined || change.mode === '160000') continue;
    const oldContent = change.oldId === undefined ? undefined : (await reader.blob(change.oldId))?.content;
    const result = scanAddedLines(scanner, { path: change.path, newContent: content, commit: id, ...(oldContent === undefined ? {} : { oldContent }) });
    for (const finding of result.findings) {
      if (finding.status !== 'detected') continue;
      analysis.findings.push({
        rule: finding.ruleId,
        description: finding.description,
        path: finding.path,
        line: finding.line,
        commit: id,
        preview: finding.preview,
        fingerprint: finding.fingerprint,
      });
    }
  }
  push.remember(id, analysis);
  return analysis;
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
