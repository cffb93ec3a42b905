import type { CompiledRuleSet, CompiledSecretRule } from './compiled-rules.js';
import { SecretsError } from './errors.js';
import { FingerprintKey, redactedPreview, type SecretFinding } from './finding.js';
import { KeywordPrefilter } from './keyword-prefilter.js';
import { MarkedLines } from './marked-lines.js';
import { isReportableSecret, ruleAppliesToPath } from './secret-filters.js';
import { intersectsRanges, type ByteRange, type SecretSpan } from './secret-span.js';
import { SpanSelection } from './span-selection.js';
import { findXmlCredentials } from './xml-credentials.js';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './archive-limits.js';

export { ALLOW_MARKER } from './marked-lines.js';
/** Like git: a NUL byte in the first 8000 bytes makes a file binary. */
const BINARY_SNIFF_BYTES = 8000;

export interface SecretScannerOptions {
  /** Key of the HMAC fingerprints (at least 16 bytes); the gateway's secret. */
  fingerprintKey: Uint8Array | string;
  /** Larger files are skipped and reported as skipped (default 1 MiB, as GitLab). */
  maxFileBytes?: number;
  /**
   * What `scanFile` does with a file that looks binary (default `specific-rules`; see
   * BinaryFileMode).
   */
  binaryFiles?: BinaryFileMode;
  /**
   * `scanFile` stops reading a file once it holds this many findings (default 100; `Infinity`: no
   * limit) and says so with `truncatedFindings`. One finding is enough to refuse a push, GitHub
   * shows 5 and the gateway lists at most 1,000 per ref update; a hundred still show a reviewer how
   * far a leak goes, while a blob made of tokens (a 1 MiB one holds 20,000 and compresses to
   * nothing) costs a hundred findings' work instead of stalling the event loop for half a second.
   * Findings on `gitgate:allow` lines do not count (they never block); at most as many of them are
   * listed. Masking (`findSpans`) has no limit: a secret left unmasked would be a leak.
   */
  maxFindingsPerFile?: number;
  /**
   * What `scanLargeText` may spend reading the files inside archives (zip, jar, docx, whl, tar,
   * gzip, xz, zstd, bzip2):
   * see ArchiveLimits for the defaults. An archive it cannot read whole is reported `unscanned`.
   */
  archives?: Partial<ArchiveLimits>;
}

export interface ScanTarget {
  path: string;
  content: Uint8Array | string;
  commit?: string;
}

export type SkipReason = 'binary' | 'too-large';

/**
 * How files that look binary (a NUL byte in the first 8000 bytes, as git decides) are scanned:
 * - `specific-rules`: with every rule except the `generic` ones. Secrets land in binaries too
 *   (compiled Python, class files, databases, executables built with a key in them), and a key's own
 *   format (`ghp_…`, `AKIA…`, a PEM block) says what it is wherever it sits. The generic rules
 *   (keyword assignments, URLs with credentials, JWTs, XML credentials) look for a shape that
 *   compilers make by packing strings together: see docs/secrets.md for what each found in binaries.
 * - `all-rules`: every rule, as for text.
 * - `skip`: not scanned; the result says `skipped: 'binary'`.
 */
export type BinaryFileMode = 'skip' | 'specific-rules' | 'all-rules';

export const BINARY_FILE_MODES: readonly BinaryFileMode[] = ['specific-rules', 'all-rules', 'skip'];

/** The rule category `specific-rules` leaves out of binary files. */
const GENERIC_CATEGORY = 'generic';

export interface FileScanResult {
  path: string;
  commit?: string;
  bytes: number;
  findings: SecretFinding[];
  /** Set when the file was not scanned; a policy may treat that as it wishes. */
  skipped?: SkipReason;
  /**
   * Set when the scan stopped at `maxFindingsPerFile` (or listed no more allowed findings): the
   * file may hold more secrets than `findings`, which are the first ones in file order.
   */
  truncatedFindings?: boolean;
  /**
   * Set when part of the file could not be scanned although it holds content (an archive entry
   * that is encrypted, or expands past the limits): what and why, naming the file. The findings
   * are those of what could be read. A gate refuses such a file: it cannot vouch for it.
   */
  unscanned?: string;
}

export interface FindSpansOptions {
  path?: string;
  /** Only secrets intersecting these sorted, disjoint byte ranges (e.g. added lines). */
  ranges?: readonly ByteRange[];
}

export function looksBinary(content: Uint8Array): boolean {
  const end = Math.min(content.length, BINARY_SNIFF_BYTES);
  for (let i = 0; i < end; i++) if (content[i] === 0) return true;
  return false;
}

export function toBuffer(content: Uint8Array | string): Buffer {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  return Buffer.isBuffer(content) ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
}

interface OpenWindow {
  start: number;
  end: number;
}

interface SpanScan {
  spans: SecretSpan[];
  truncated: boolean;
}

const NO_SPANS: SpanScan = { spans: [], truncated: false };

/** Which rules one scan runs: those that apply to the path, without the generic ones for binaries. */
interface ScanScope {
  path: string;
  withoutGeneric: boolean;
}

/**
 * Overlapping windows of a rule are merged, but only up to this size: a line of keywords would
 * otherwise make one window of the whole file, matched only at its end, and a scan could not stop
 * before. Every keyword's own window still lies whole in one merged window, so what a rule finds
 * around any one keyword it still finds.
 */
const MAX_MERGED_WINDOW_BYTES = 64 * 1024;

/**
 * The detection engine: one keyword pass, then each rule whose keyword occurred runs on a
 * bounded window around the keyword. Patterns are RE2, so matching is linear in the window.
 */
export class SecretScanner {
  readonly ruleSet: CompiledRuleSet;
  private readonly prefilter: KeywordPrefilter;
  /** Rule indices per prefilter keyword id. */
  private readonly rulesByKeyword: number[][];
  private readonly fingerprints: FingerprintKey;
  private readonly maxFileBytes: number;
  private readonly binaryFiles: BinaryFileMode;
  private readonly maxFindingsPerFile: number;
  private readonly archives: Readonly<ArchiveLimits>;
  /** How far before a keyword's start a window may begin (longest keyword + widest `before`). */
  private readonly maxReachBack: number;
  /** Rules whose detector reads the whole file rather than windows (`xml-credential`). */
  private readonly structuredRules: number[];

  constructor(ruleSet: CompiledRuleSet, options: SecretScannerOptions) {
    this.ruleSet = ruleSet;
    this.fingerprints = new FingerprintKey(options.fingerprintKey);
    this.maxFileBytes = options.maxFileBytes ?? 1024 * 1024;
    this.binaryFiles = options.binaryFiles ?? 'specific-rules';
    if (!BINARY_FILE_MODES.includes(this.binaryFiles)) {
      throw new SecretsError('SECRETS_SCANNER_OPTION', `binaryFiles must be one of ${BINARY_FILE_MODES.join(', ')} (got ${String(options.binaryFiles)})`);
    }
    this.maxFindingsPerFile = options.maxFindingsPerFile ?? 100;
    if (!(this.maxFindingsPerFile >= 1) || (Number.isFinite(this.maxFindingsPerFile) && !Number.isInteger(this.maxFindingsPerFile))) {
      throw new SecretsError(
        'SECRETS_SCANNER_OPTION',
        `maxFindingsPerFile must be a whole number of at least 1, or Infinity (got ${String(options.maxFindingsPerFile)})`,
      );
    }
    this.archives = { ...DEFAULT_ARCHIVE_LIMITS, ...options.archives };
    for (const [name, value] of Object.entries(this.archives)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new SecretsError('SECRETS_SCANNER_OPTION', `archives.${name} must be a whole number of at least 1 (got ${String(value)})`);
      }
    }
    const keywordIds = new Map<string, number>();
    this.rulesByKeyword = [];
    ruleSet.rules.forEach((rule, ruleIndex) => {
      for (const keyword of rule.keywords) {
        let id = keywordIds.get(keyword);
        if (id === undefined) {
          id = keywordIds.size;
          keywordIds.set(keyword, id);
          this.rulesByKeyword.push([]);
        }
        const list = this.rulesByKeyword[id]!;
        if (!list.includes(ruleIndex)) list.push(ruleIndex);
      }
    });
    this.prefilter = new KeywordPrefilter([...keywordIds.keys()]);
    const longestKeyword = Math.max(0, ...this.prefilter.keywords.map((k) => Buffer.byteLength(k)));
    this.maxReachBack = longestKeyword + Math.max(0, ...ruleSet.rules.map((r) => r.window.before));
    this.structuredRules = ruleSet.rules.flatMap((rule, ruleIndex) => (rule.detector === 'xml-credential' ? [ruleIndex] : []));
  }

  /** Files larger than this are skipped by `scanFile` (`scanLargeText` reads them in slices). */
  get fileSizeLimit(): number {
    return this.maxFileBytes;
  }

  /** Whether files that look binary are scanned (`binaryFiles` is not `skip`). */
  get readsBinaryFiles(): boolean {
    return this.binaryFiles !== 'skip';
  }

  /** Findings one scan of a file reports at most (`truncatedFindings` says when it stopped there). */
  get findingsPerFileLimit(): number {
    return this.maxFindingsPerFile;
  }

  /** What reading the files inside an archive may cost (`scanLargeText`). */
  get archiveLimits(): Readonly<ArchiveLimits> {
    return this.archives;
  }

  /**
   * Scans one file and returns findings without secret values. With `ranges`, only secrets that
   * intersect them are reported; given as a function, the ranges are computed only when the file
   * holds a candidate at all (e.g. a line diff, which costs more than the scan).
   */
  scanFile(target: ScanTarget, ranges?: readonly ByteRange[] | (() => readonly ByteRange[])): FileScanResult {
    const content = toBuffer(target.content);
    const base = { path: target.path, ...(target.commit === undefined ? {} : { commit: target.commit }), bytes: content.length };
    if (content.length > this.maxFileBytes) return { ...base, findings: [], skipped: 'too-large' };
    const binary = looksBinary(content);
    if (binary && this.binaryFiles === 'skip') return { ...base, findings: [], skipped: 'binary' };
    const scope = this.scopeOf(target.path, binary);
    const limit = this.maxFindingsPerFile;
    let scan: SpanScan;
    if (typeof ranges === 'function') {
      scan = this.scanSpans(content, scope, undefined, limit);
      if (scan.spans.length > 0) {
        const wanted = ranges();
        // Cut at the limit, the whole-file scan may have stopped before the added lines' secrets:
        // then scan again, counting only what touches them.
        if (scan.truncated) scan = this.scanSpans(content, scope, wanted, limit);
        else scan = { spans: scan.spans.filter((span) => intersectsRanges(wanted, span.start, span.end)), truncated: false };
      }
    } else {
      scan = this.scanSpans(content, scope, ranges, limit);
    }
    return { ...base, findings: this.toFindings(content, scan.spans, target), ...(scan.truncated ? { truncatedFindings: true } : {}) };
  }

  /**
   * One slice of a file too large for `scanFile`, or of a binary one (see `scanLargeText`): scans
   * `region` of the content without the size check, and returns the findings whose secret starts
   * in `owned` (which `region` surrounds with enough context), positioned in the whole content.
   * `binary` says whether the whole content looks binary: then the rules are those of
   * `binaryFiles` (the caller checks `readsBinaryFiles` first). `lines` walks the whole content;
   * pass the same one for slices in ascending order (spans come in file order). With each finding
   * comes where its secret lies in the content.
   */
  scanSlice(
    content: Buffer,
    region: ByteRange,
    owned: ByteRange,
    target: ScanTarget,
    lines: MarkedLines,
    binary = false,
  ): { findings: SecretFinding[]; secrets: ByteRange[]; truncated: boolean } {
    const scan = this.scanSpans(content.subarray(region.start, region.end), this.scopeOf(target.path, binary), undefined, this.maxFindingsPerFile);
    const spans = scan.spans
      .map((span) => ({ ...span, start: span.start + region.start, end: span.end + region.start }))
      .filter((span) => span.start >= owned.start && span.start < owned.end);
    const findings = this.toFindings(content, spans, target, lines);
    return { findings, secrets: spans.map((span) => ({ start: span.start, end: span.end })), truncated: scan.truncated };
  }

  /**
   * Secret spans after filters and overlap resolution, every one of them (no `maxFindingsPerFile`:
   * the masker uses this, and must not stop early); no size or binary checks.
   */
  findSpans(content: Buffer, options: FindSpansOptions = {}): SecretSpan[] {
    return this.scanSpans(content, this.scopeOf(options.path ?? '', false), options.ranges, Infinity).spans;
  }

  /** The rules for content at `path`: the generic ones are left out of binary content under `specific-rules`. */
  private scopeOf(path: string, binary: boolean): ScanScope {
    return { path, withoutGeneric: binary && this.binaryFiles === 'specific-rules' };
  }

  private runsOn(rule: CompiledSecretRule, scope: ScanScope): boolean {
    return !(scope.withoutGeneric && rule.category === GENERIC_CATEGORY) && ruleAppliesToPath(this.ruleSet, rule, scope.path);
  }

  /**
   * The scan itself. With a finite `maxFindings`, candidates are selected in file order as soon as
   * no window still to be matched can start before them, and the scan stops once that many
   * detected findings are final: the rest of the file is neither matched nor filtered.
   */
  private scanSpans(content: Buffer, scope: ScanScope, ranges: readonly ByteRange[] | undefined, maxFindings: number): SpanScan {
    if (ranges !== undefined && ranges.length === 0) return NO_SPANS;
    const rules = this.ruleSet.rules;
    const hits = this.prefilter.findAll(content);
    if (hits.length === 0) return NO_SPANS;

    const limited = maxFindings !== Infinity;
    const selection = new SpanSelection(
      (span) =>
        (ranges === undefined || intersectsRanges(ranges, span.start, span.end)) &&
        isReportableSecret(this.ruleSet, span.rule, content.toString('utf8', span.start, span.end)),
      limited ? { maxFindings, lines: new MarkedLines(content) } : undefined,
    );
    const keywordLines = new MarkedLines(content);
    const applicable = new Int8Array(rules.length); // 0 unknown, 1 yes, -1 no
    const windows: (OpenWindow | undefined)[] = new Array(rules.length);
    const openRules: number[] = [];
    // A structured detector reads the whole file at once, and its candidates can sit anywhere (a
    // value before its key): they go in first, so that every later candidate comes in file order.
    for (const ruleIndex of this.structuredRules) {
      const rule = rules[ruleIndex]!;
      if (!this.runsOn(rule, scope)) continue;
      let hit = false;
      for (let h = 0; h < hits.length && !hit; h += 2) hit = this.rulesByKeyword[hits[h]!]!.includes(ruleIndex);
      if (hit) for (const span of findXmlCredentials(content, rule)) selection.add(span);
    }

    for (let h = 0; h < hits.length; h += 2) {
      const keywordStart = hits[h + 1]!;
      const keywordEnd = keywordStart + this.prefilter.keywords[hits[h]!]!.length;
      let added = false;
      for (const ruleIndex of this.rulesByKeyword[hits[h]!]!) {
        const rule = rules[ruleIndex]!;
        if (applicable[ruleIndex] === 0) applicable[ruleIndex] = this.runsOn(rule, scope) ? 1 : -1;
        if (applicable[ruleIndex] === -1 || rule.detector !== 'regex') continue;
        const window = windowAround(content, rule, keywordStart, keywordEnd);
        if (ranges !== undefined && !intersectsRanges(ranges, window.start, window.end)) continue;
        // Enough allowed findings are listed: a one-line window on an allowed line could only add more.
        if (selection.allowedFull && !rule.window.multiline && keywordLines.moveTo(keywordStart).allowed) {
          selection.markTruncated();
          continue;
        }
        const open = windows[ruleIndex];
        if (open !== undefined && window.start <= open.end && open.end - open.start < MAX_MERGED_WINDOW_BYTES) {
          open.start = Math.min(open.start, window.start);
          open.end = Math.max(open.end, window.end);
        } else {
          if (open !== undefined) {
            this.matchWindow(content, rule, open, selection);
            added = true;
          } else {
            openRules.push(ruleIndex);
          }
          windows[ruleIndex] = window;
        }
      }
      if (limited && added) {
        // No window still to come starts before the open ones or before this keyword's reach.
        let frontier = keywordStart - this.maxReachBack;
        for (const ruleIndex of openRules) frontier = Math.min(frontier, windows[ruleIndex]!.start);
        if (selection.settle(frontier)) {
          selection.stop();
          return { spans: selection.finish(), truncated: true };
        }
      }
    }
    for (const ruleIndex of openRules.sort((a, b) => a - b)) this.matchWindow(content, rules[ruleIndex]!, windows[ruleIndex]!, selection);
    const spans = selection.finish();
    return { spans, truncated: selection.truncated };
  }

  private matchWindow(content: Buffer, rule: CompiledSecretRule, window: OpenWindow, out: SpanSelection): void {
    const pattern = rule.pattern!;
    const slice = content.subarray(window.start, window.end);
    pattern.lastIndex = 0;
    for (;;) {
      const match = pattern.exec(slice);
      if (match === null) break;
      const indices = match.indices;
      const groupRange =
        typeof rule.secretGroup === 'number' ? indices?.[rule.secretGroup] : indices?.groups?.[rule.secretGroup];
      if (groupRange !== undefined) {
        out.add({ rule, start: window.start + groupRange[0], end: window.start + groupRange[1] });
      }
      if (match[0].length === 0) pattern.lastIndex++;
    }
  }

  private toFindings(content: Buffer, spans: SecretSpan[], target: ScanTarget, lines = new MarkedLines(content)): SecretFinding[] {
    return spans.map((span) => {
      lines.moveTo(span.start);
      const secret = content.subarray(span.start, span.end);
      const secretText = secret.toString('utf8');
      return {
        ruleId: span.rule.id,
        description: span.rule.description,
        category: span.rule.category,
        severity: span.rule.severity,
        tags: [...span.rule.tags],
        path: target.path,
        line: lines.line,
        column: span.start - lines.start + 1,
        ...(target.commit === undefined ? {} : { commit: target.commit }),
        preview: redactedPreview(secretText),
        length: [...secretText].length,
        fingerprint: this.fingerprints.fingerprint(secret),
        status: lines.allowed ? 'allowed' : 'detected',
      };
    });
  }
}

function windowAround(content: Buffer, rule: CompiledSecretRule, keywordStart: number, keywordEnd: number): OpenWindow {
  let start = Math.max(0, keywordStart - rule.window.before);
  let end = Math.min(content.length, keywordEnd + rule.window.after);
  if (!rule.window.multiline) {
    const newlineBefore = content.subarray(start, keywordStart).lastIndexOf(10);
    if (newlineBefore !== -1) start += newlineBefore + 1;
    const newlineAfter = content.subarray(keywordEnd, end).indexOf(10);
    if (newlineAfter !== -1) end = keywordEnd + newlineAfter;
  }
  return { start, end };
}
