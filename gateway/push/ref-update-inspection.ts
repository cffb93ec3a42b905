import type { ReceivePackCommand } from '../../pack-parser/index.js';
import type { ChangedFile, CommitInfo, RefUpdate, SecretFinding as PolicySecretFinding } from '../../rego/index.js';
import { scanLargeText, type FileScanResult, type SecretMasker, type SecretScanner } from '../secrets/index.js';
import { isAncestor, pushedCommitsFrom } from './ancestry.js';
import { PushError } from './errors.js';
import { rfc3339TimeOf } from './git-date.js';
import type { ObjectReader } from './object-reader.js';
import { PushInspection, type CommitAnalysis } from './push-inspection.js';
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

/**
 * Annotated tags followed from a pushed tip. git sets no limit; a chain longer than this is refused
 * rather than left uninspected (the probe that found that case used 10).
 */
const MAX_TAG_CHAIN = 100;

/**
 * Parents a pushed commit may have. git sets no limit; the largest octopus merges in public
 * history have about 66. A crafted push of 63 commits with 21,500 parents each listed 1.35 million
 * ids for the policy, which timed out at 540 MB.
 */
export const MAX_PARENTS_PER_COMMIT = 256;

/** Commit messages longer than this are cut in the policy input (they are scanned whole). */
export const MAX_LISTED_MESSAGE_LENGTH = 16 * 1024;

/**
 * The commit a pushed tip names, through annotated tags, with the pushed tags on the way. A tip
 * that is, or tags, a pushed blob or tree would reach the upstream uninspected, as would a chain
 * of tags too long to follow: both refuse the push (PUSH_UNINSPECTABLE). A tip that is not in the
 * push and not a commit upstream (an existing upstream tag, say) brings nothing new: undefined.
 */
async function peelTip(id: string, ref: string, reader: ObjectReader): Promise<{ commit: string | undefined; tags: string[] }> {
  const tags: string[] = [];
  let current = id;
  for (let depth = 0; depth <= MAX_TAG_CHAIN; depth++) {
    const tag = reader.pushed.tags.get(current);
    if (tag === undefined) {
      const type = reader.pushed.typeOf(current);
      if (type === 'blob' || type === 'tree') {
        throw new PushError(
          'PUSH_UNINSPECTABLE',
          `${ref} points${tags.length > 0 ? ' (through an annotated tag)' : ''} at the pushed ${type} ${current}; gitgate inspects refs that point at commits, directly or through annotated tags, and forwards nothing it has not inspected`,
        );
      }
      return { commit: (await reader.commit(current)) !== undefined ? current : undefined, tags };
    }
    tags.push(current);
    current = tag.object;
  }
  throw new PushError('PUSH_UNINSPECTABLE', `${ref} points at a chain of more than ${MAX_TAG_CHAIN} annotated tags, which gitgate does not follow; tag the commit directly`);
}

/** The commit an old tip names, for the fast-forward proof; undefined when it cannot be told. */
async function peelOldTip(id: string, ref: string, reader: ObjectReader): Promise<string | undefined> {
  try {
    return (await peelTip(id, ref, reader)).commit;
  } catch (error) {
    if (error instanceof PushError) return undefined;
    throw error;
  }
}

export interface InspectionContext {
  reader: ObjectReader;
  scanner: SecretScanner;
  /** Masks a commit message listed in the input when the scan found a secret in it. */
  masker: SecretMasker;
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

  const tip = await peelTip(command.newId, command.ref, reader);
  const newCommit = tip.commit;
  for (const tag of tip.tags) if (!shared.reached.has(tag)) scanTagMessage(tag, context, shared, update);
  if (command.operation === 'update') {
    const oldCommit = await peelOldTip(command.oldId, command.ref, reader);
    update.fast_forward = newCommit !== undefined && oldCommit !== undefined
      ? await isAncestor(oldCommit, newCommit, reader.pushed, context.upstreamGitDir)
      : null;
  }
  if (newCommit === undefined) return update;

  // Every pushed commit is diffed and its added lines scanned; only the lists in the input are
  // cut at the limits (`truncated`), never the scan.
  const { ids } = pushedCommitsFrom(newCommit, reader.pushed, Infinity);
  shared.inspect(ids.length, command.ref);
  for (const id of ids) shared.reached.add(id);
  if (ids.length > limits.maxCommits) update.truncated = true;
  const files = new Map<string, ChangedFile>();
  // Oldest first, so that a path's newest state wins in `files`.
  for (let k = ids.length - 1; k >= 0; k--) {
    const id = ids[k]!;
    if (shared.turnDue()) await shared.pause();
    const analysis = shared.analysis(id) ?? (await analyzeCommit(id, context, shared));
    if (k < limits.maxCommits) {
      if (shared.listedCommits < shared.listing.commits) {
        update.commits.push(analysis.info);
        shared.listedCommits += 1;
      } else {
        update.truncated = true;
      }
    }
    // Fail closed on what was not seen whole: the inspection-approval rule takes `truncated` updates.
    if (analysis.parentUnknown || analysis.findingsCut) update.truncated = true;
    shared.visitFiles(analysis.files.length, command.ref);
    for (const file of analysis.files) {
      if (files.has(file.path)) files.set(file.path, file);
      else if (files.size < limits.maxFiles && shared.listedFiles < shared.listing.files) {
        files.set(file.path, file);
        shared.listedFiles += 1;
      } else {
        update.truncated = true;
      }
    }
    addFindings(update, shared, analysis.findings);
  }
  update.commits.reverse(); // newest first
  update.files = [...files.values()];
  return update;
}

/**
 * Lists findings on an update: at most MAX_FINDINGS_PER_REF, and within what the push may list,
 * except that an update with findings lists at least one whatever the push has listed already, so
 * that the secrets rule refuses it by itself rather than leaving it to an approval.
 */
export function addFindings(update: RefUpdate, push: PushInspection, findings: readonly PolicySecretFinding[]): void {
  for (const finding of findings) {
    const pushListFull = push.listedFindings >= push.listing.findings && update.secret_findings.length > 0;
    if (update.secret_findings.length >= MAX_FINDINGS_PER_REF || pushListFull) {
      update.truncated = true;
      return;
    }
    update.secret_findings.push(finding);
    push.listedFindings += 1;
  }
}

/** Detected secrets of a scan as the policy input lists them, naming the commit (or tag) they are in. */
export function policyFindings(result: FileScanResult, objectId: string): PolicySecretFinding[] {
  return result.findings
    .filter((finding) => finding.status === 'detected')
    .map((finding) => ({
      rule: finding.ruleId,
      description: finding.description,
      path: finding.path,
      line: finding.line,
      commit: objectId,
      preview: finding.preview,
      fingerprint: finding.fingerprint,
    }));
}

/**
 * A file the scanner could not read whole (an encrypted archive entry, one that expands past the
 * limits) refuses the push: gitgate forwards nothing it has not inspected.
 */
export function refuseUnscanned(result: FileScanResult, where: string): void {
  if (result.unscanned === undefined) return;
  throw new PushError(
    'PUSH_UNINSPECTABLE',
    `${result.unscanned} (${where}). gitgate forwards nothing it could not inspect for secrets: leave the archive out of the commits, or commit its files unarchived`,
  );
}

/** A pushed annotated tag's message, scanned once per push (path `(tag message)`, the tag's id as commit). */
function scanTagMessage(id: string, context: InspectionContext, push: PushInspection, update: RefUpdate): void {
  push.reached.add(id);
  const message = context.reader.pushed.tags.get(id)!.message;
  push.scanning(message.length);
  const result = context.scanner.scanFile({ path: '(tag message)', content: message, commit: id });
  if (result.truncatedFindings) update.truncated = true;
  addFindings(update, push, policyFindings(result, id));
}

/**
 * One pushed commit: its files changed against its first parent (merges list what they bring in),
 * with blob size and binary flag, and the secrets on the lines it adds and in its message.
 */
async function analyzeCommit(id: string, context: InspectionContext, push: PushInspection): Promise<CommitAnalysis> {
  const { reader, scanner } = context;
  const commit = reader.pushed.commits.get(id)!;
  const firstParent = commit.parents[0];
  const parentTree = firstParent === undefined ? undefined : (reader.knownCommit(firstParent) ?? (await reader.commit(firstParent)))?.tree;
  // A parent that can be read neither from the push nor upstream: what the commit changed cannot
  // be told, so all of its tree counts as added (listed and scanned) and the update is marked.
  const analysis: CommitAnalysis = { info: commitInfo(id, commit), parentUnknown: firstParent !== undefined && parentTree === undefined, findingsCut: false, files: [], findings: [] };
  push.scanning(commit.message.length);
  const messageScan = scanner.scanFile({ path: '(commit message)', content: commit.message, commit: id });
  analysis.findingsCut ||= messageScan.truncatedFindings === true;
  analysis.findings.push(...policyFindings(messageScan, id));
  // The secret is reported as a finding; the listed message (shown to reviewers, recorded) masks
  // it. A message cut for the listing is withheld instead: the cut could split a secret, leaving
  // a part the masker no longer recognizes.
  if (analysis.findings.length > 0) {
    analysis.info.message =
      commit.message.length <= MAX_LISTED_MESSAGE_LENGTH
        ? context.masker.maskString(commit.message)
        : `[gitgate: message of ${commit.message.length} characters withheld: it holds a secret (see the findings)]`;
  }
  const diff = await diffTrees(reader, parentTree, commit.tree, push.changedFilesLeft, push);
  push.diffed(id, diff.changes.length, diff.truncated);
  for (const change of diff.changes) {
    if (push.turnDue()) await push.pause();
    push.diffedBlobs.add(change.id);
    const blob = reader.pushedBlob(change.id) ?? (await reader.blob(change.id)); // for a deletion: the deleted blob's size and flag
    analysis.files.push({ path: change.path, status: change.status, mode: change.mode, blob: change.id, size: blob?.size ?? 0, binary: blob?.binary ?? false });
    // The scanner reads every file, large and binary ones in slices (scanLargeText).
    const content = blob?.content;
    if (change.status === 'deleted' || content === undefined || change.mode === '160000') continue;
    const oldContent = change.oldId === undefined ? undefined : (reader.pushedBlob(change.oldId) ?? (await reader.blob(change.oldId)))?.content;
    push.scanning(content.length);
    const result = await scanLargeText(scanner, { path: change.path, newContent: content, commit: id, ...(oldContent === undefined ? {} : { oldContent }) }, () => push.pause(), push.archiveContext(scanner));
    refuseUnscanned(result, `commit ${id}`);
    analysis.findingsCut ||= result.truncatedFindings === true;
    analysis.findings.push(...policyFindings(result, id));
  }
  push.remember(id, analysis);
  return analysis;
}

function commitInfo(id: string, commit: import('../../pack-parser/index.js').GitCommit): CommitInfo {
  if (commit.parents.length > MAX_PARENTS_PER_COMMIT) {
    throw new PushError('PUSH_TOO_LARGE', `commit ${id} has ${commit.parents.length} parents; gitgate accepts merges of up to ${MAX_PARENTS_PER_COMMIT}. Merge in steps`);
  }
  return {
    id,
    author: { name: commit.author.name, email: commit.author.email, time: rfc3339TimeOf(commit.author, 'author', id) },
    committer: { name: commit.committer.name, email: commit.committer.email, time: rfc3339TimeOf(commit.committer, 'committer', id) },
    message:
      commit.message.length <= MAX_LISTED_MESSAGE_LENGTH
        ? commit.message
        : `${commit.message.slice(0, MAX_LISTED_MESSAGE_LENGTH)}\n[gitgate: message cut at ${MAX_LISTED_MESSAGE_LENGTH} of ${commit.message.length} characters]`,
    parents: [...commit.parents],
    signed: commit.signatures.length > 0,
  };
}
