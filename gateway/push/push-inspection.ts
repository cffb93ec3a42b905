import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ChangedFile, CommitInfo, SecretFinding as PolicySecretFinding } from '../../rego/index.js';
import { topLevelArchiveContext, type ArchiveScanContext, type SecretScanner } from '../secrets/index.js';
import { PushError } from './errors.js';

/**
 * Longest the inspection runs without giving the event loop a turn: other requests are served in
 * between, whatever one push holds. (Its awaits on objects already read resolve at once, so
 * without this a push that takes seconds to inspect stalls every other request for as long.)
 */
const MAX_INSPECTION_SLICE_MS = 20;

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
 * The work one push may ask of the inspection, which runs on the gateway's event loop: past any
 * of these the push is refused (PUSH_TOO_LARGE) rather than holding up every other request. A
 * crafted pack of a few hundred bytes can otherwise describe millions of files (trees that name
 * the same subtree ten times over, ten levels deep) or gigabytes of content to scan.
 */
export interface PushInspectionBudget {
  /** Commit inspections, counted once per ref update that reaches a commit. */
  commits: number;
  /** Changed files the tree diffs produce; a commit reached by several refs is diffed once. */
  changedFiles: number;
  /** Changed files the ref updates go through to list them, once per ref for each commit it reaches. */
  fileVisits: number;
  /** Bytes the secret scan reads (added text and binary files, commit and tag messages). */
  scannedBytes: number;
  /**
   * Milliseconds the inspection may take in all. Content scans at very different speeds (text
   * dense with candidate secrets far slower than code), so the byte allowance alone does not bound
   * the time; this does, and the inspection yields to other requests meanwhile.
   */
  milliseconds: number;
}

/**
 * 100,000 commit inspections; 250,000 changed files (a flat directory of 1 million files took 6 s
 * and 900 MB to diff and list); 2 million file visits (1,000 refs at a commit of 100,000 files
 * took 2.3 s before the policy timed out); 1 GiB scanned for secrets; 60 s in all.
 */
export const DEFAULT_PUSH_INSPECTION_BUDGET: Readonly<PushInspectionBudget> = Object.freeze({
  commits: 100_000,
  changedFiles: 250_000,
  fileVisits: 2_000_000,
  scannedBytes: 1024 ** 3,
  milliseconds: 60_000,
});

/**
 * File changes of analysed commits a push keeps for its other ref updates: a commit reached by
 * several refs is then diffed and scanned once. Beyond this it is analysed again for each.
 */
const MAX_REMEMBERED_FILE_CHANGES = 200_000;

/** A pushed commit as every ref update that reaches it sees it. */
export interface CommitAnalysis {
  info: CommitInfo;
  /** Its first parent can be read neither from the push nor upstream: its whole tree counts as added. */
  parentUnknown: boolean;
  /** A scan of its message or files stopped at the findings limit: it may hold more secrets than listed. */
  findingsCut: boolean;
  files: ChangedFile[];
  findings: PolicySecretFinding[];
}

export interface PushInspectionOptions {
  listing?: PushListingLimits;
  budget?: Partial<PushInspectionBudget>;
}

/**
 * What the ref updates of one push share: the commits already analysed, what they reached (so that
 * objects no ref reaches are found afterwards), and how much of the listing limits and of the
 * budget they have used.
 */
export class PushInspection {
  readonly listing: PushListingLimits;
  readonly budget: PushInspectionBudget;
  listedCommits = 0;
  listedFiles = 0;
  listedFindings = 0;
  inspectedCommits = 0;
  changedFiles = 0;
  fileVisits = 0;
  scannedBytes = 0;
  /** Pushed commits and tags some ref update reaches. */
  readonly reached = new Set<string>();
  /** Blobs the analysed commits add, change or delete. */
  readonly diffedBlobs = new Set<string>();
  private readonly analyses = new Map<string, CommitAnalysis>();
  private rememberedFileChanges = 0;
  private readonly started = performance.now();
  private sliceStarted = this.started;

  constructor(options: PushInspectionOptions = {}) {
    this.listing = options.listing ?? PUSH_LISTING_LIMITS;
    this.budget = { ...DEFAULT_PUSH_INSPECTION_BUDGET, ...options.budget };
  }

  /** Whether `pause` would give the event loop a turn now: hot loops await it only then (an await costs a microtask). */
  turnDue(): boolean {
    return performance.now() - this.sliceStarted >= MAX_INSPECTION_SLICE_MS;
  }

  /**
   * Call between units of work: gives the event loop a turn once the current slice is used up,
   * and throws PUSH_TOO_LARGE once the whole inspection has taken longer than allowed.
   */
  async pause(): Promise<void> {
    const now = performance.now();
    if (now - this.sliceStarted < MAX_INSPECTION_SLICE_MS) return;
    if (now - this.started > this.budget.milliseconds) {
      throw new PushError(
        'PUSH_TOO_LARGE',
        `inspecting this push took more than ${this.budget.milliseconds / 1000} s, longer than gitgate allows one push; push the history in smaller parts`,
      );
    }
    await nextTurn();
    this.sliceStarted = performance.now();
  }

  /** Counts the commits one ref update reaches; throws PUSH_TOO_LARGE past the push's allowance. */
  inspect(commits: number, ref: string): void {
    this.inspectedCommits += commits;
    if (this.inspectedCommits > this.budget.commits) {
      throw new PushError(
        'PUSH_TOO_LARGE',
        `this push asks for more than ${this.budget.commits} commit inspections (${ref} alone reaches ${commits} pushed commits; ` +
          'each ref update counts the commits it brings). Push fewer refs, or the history in parts',
      );
    }
  }

  /** Changed files a commit's diff may still produce before the push is too large. */
  get changedFilesLeft(): number {
    return this.budget.changedFiles - this.changedFiles;
  }

  /** Counts a commit's changed files; throws PUSH_TOO_LARGE when its diff went past the allowance. */
  diffed(commit: string, changes: number, cut: boolean): void {
    this.changedFiles += changes;
    if (cut || this.changedFiles > this.budget.changedFiles) {
      throw new PushError(
        'PUSH_TOO_LARGE',
        `this push changes more than ${this.budget.changedFiles} files (counted over its commits; commit ${commit} brings the total past it), ` +
          'more than gitgate inspects at once. Push the history in smaller parts',
      );
    }
  }

  /** Counts the changed files one ref update goes through for one commit. */
  visitFiles(files: number, ref: string): void {
    this.fileVisits += files;
    if (this.fileVisits > this.budget.fileVisits) {
      throw new PushError(
        'PUSH_TOO_LARGE',
        `this push asks gitgate to list more than ${this.budget.fileVisits} changed files over its ref updates (${ref} brings it past that; ` +
          'each ref counts the files of every commit it reaches). Push fewer refs at a time',
      );
    }
  }

  /**
   * The archive context of one file's scan (`scanLargeText`): what is read out of its archives
   * counts against the scanning allowance too, so that a push of small zip bombs is refused at the
   * allowance instead of inflating up to the limits of every one.
   */
  archiveContext(scanner: SecretScanner): ArchiveScanContext {
    return topLevelArchiveContext(scanner.archiveLimits, (bytes) => this.scanning(bytes));
  }

  /** Counts bytes about to be scanned for secrets; throws PUSH_TOO_LARGE past the allowance. */
  scanning(bytes: number): void {
    this.scannedBytes += bytes;
    if (this.scannedBytes > this.budget.scannedBytes) {
      throw new PushError(
        'PUSH_TOO_LARGE',
        `this push holds more than ${this.budget.scannedBytes} bytes to scan for secrets (text and binary files, counted once per changed file of every commit), ` +
          'more than gitgate scans at once. Push the history in smaller parts',
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
