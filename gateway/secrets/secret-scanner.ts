import type { CompiledRuleSet, CompiledSecretRule } from './compiled-rules.js';
import { FingerprintKey, redactedPreview, type SecretFinding } from './finding.js';
import { KeywordPrefilter } from './keyword-prefilter.js';
import { isReportableSecret, ruleAppliesToPath } from './secret-filters.js';
import { intersectsRanges, resolveOverlaps, type ByteRange, type SecretSpan } from './secret-span.js';
import { findXmlCredentials } from './xml-credentials.js';

export const ALLOW_MARKER = 'gitgate:allow';
const ALLOW_MARKER_BYTES = Buffer.from(ALLOW_MARKER);
/** Like git: a NUL byte in the first 8000 bytes makes a file binary. */
const BINARY_SNIFF_BYTES = 8000;

export interface SecretScannerOptions {
  /** Key of the HMAC fingerprints (at least 16 bytes); the gateway's secret. */
  fingerprintKey: Uint8Array | string;
  /** Larger files are skipped and reported as skipped (default 1 MiB, as GitLab). */
  maxFileBytes?: number;
  /** Scan files that look binary instead of skipping them (default false). */
  scanBinary?: boolean;
}

export interface ScanTarget {
  path: string;
  content: Uint8Array | string;
  commit?: string;
}

export type SkipReason = 'binary' | 'too-large';

export interface FileScanResult {
  path: string;
  commit?: string;
  bytes: number;
  findings: SecretFinding[];
  /** Set when the file was not scanned; a policy may treat that as it wishes. */
  skipped?: SkipReason;
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
  private readonly scanBinary: boolean;

  constructor(ruleSet: CompiledRuleSet, options: SecretScannerOptions) {
    this.ruleSet = ruleSet;
    this.fingerprints = new FingerprintKey(options.fingerprintKey);
    this.maxFileBytes = options.maxFileBytes ?? 1024 * 1024;
    this.scanBinary = options.scanBinary ?? false;
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
    if (!this.scanBinary && looksBinary(content)) return { ...base, findings: [], skipped: 'binary' };
    let spans: SecretSpan[];
    if (typeof ranges === 'function') {
      spans = this.findSpans(content, { path: target.path });
      if (spans.length > 0) {
        const wanted = ranges();
        spans = spans.filter((span) => intersectsRanges(wanted, span.start, span.end));
      }
    } else {
      spans = this.findSpans(content, { path: target.path, ...(ranges ? { ranges } : {}) });
    }
    return { ...base, findings: this.toFindings(content, spans, target) };
  }

  /** Secret spans after filters and overlap resolution; no size or binary checks (the masker uses this). */
  findSpans(content: Buffer, options: FindSpansOptions = {}): SecretSpan[] {
    const path = options.path ?? '';
    const ranges = options.ranges;
    if (ranges !== undefined && ranges.length === 0) return [];
    const rules = this.ruleSet.rules;
    const hits = this.prefilter.findAll(content);
    if (hits.length === 0) return [];

    const applicable = new Int8Array(rules.length); // 0 unknown, 1 yes, -1 no
    const windows: (OpenWindow | undefined)[] = new Array(rules.length);
    const candidates: SecretSpan[] = [];
    const structuredDone = new Set<number>();

    for (let h = 0; h < hits.length; h += 2) {
      const keywordStart = hits[h + 1]!;
      const keywordEnd = keywordStart + this.prefilter.keywords[hits[h]!]!.length;
      for (const ruleIndex of this.rulesByKeyword[hits[h]!]!) {
        const rule = rules[ruleIndex]!;
        if (applicable[ruleIndex] === 0) applicable[ruleIndex] = ruleAppliesToPath(this.ruleSet, rule, path) ? 1 : -1;
        if (applicable[ruleIndex] === -1) continue;
        if (rule.detector === 'xml-credential') {
          if (!structuredDone.has(ruleIndex)) {
            structuredDone.add(ruleIndex);
            candidates.push(...findXmlCredentials(content, rule));
          }
          continue;
        }
        const window = windowAround(content, rule, keywordStart, keywordEnd);
        if (ranges !== undefined && !intersectsRanges(ranges, window.start, window.end)) continue;
        const open = windows[ruleIndex];
        if (open !== undefined && window.start <= open.end) {
          open.start = Math.min(open.start, window.start);
          open.end = Math.max(open.end, window.end);
        } else {
          if (open !== undefined) this.matchWindow(content, rule, open, candidates);
          windows[ruleIndex] = window;
        }
      }
    }
    windows.forEach((open, ruleIndex) => {
      if (open !== undefined) this.matchWindow(content, rules[ruleIndex]!, open, candidates);
    });

    const reportable = candidates.filter(
      (span) =>
        (ranges === undefined || intersectsRanges(ranges, span.start, span.end)) &&
        isReportableSecret(this.ruleSet, span.rule, content.toString('utf8', span.start, span.end)),
    );
    return resolveOverlaps(reportable);
  }

  private matchWindow(content: Buffer, rule: CompiledSecretRule, window: OpenWindow, out: SecretSpan[]): void {
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
        out.push({ rule, start: window.start + groupRange[0], end: window.start + groupRange[1] });
      }
      if (match[0].length === 0) pattern.lastIndex++;
    }
  }

  private toFindings(content: Buffer, spans: SecretSpan[], target: ScanTarget): SecretFinding[] {
    const findings: SecretFinding[] = [];
    let line = 1;
    let lineStart = 0;
    let counted = 0;
    for (const span of spans) {
      for (let nl = content.indexOf(10, counted); nl !== -1 && nl < span.start; nl = content.indexOf(10, nl + 1)) {
        line++;
        lineStart = nl + 1;
      }
      counted = span.start;
      const secret = content.subarray(span.start, span.end);
      const secretText = secret.toString('utf8');
      const lineEnd = content.indexOf(10, span.start);
      const lineText = content.subarray(lineStart, lineEnd === -1 ? content.length : lineEnd);
      findings.push({
        ruleId: span.rule.id,
        description: span.rule.description,
        category: span.rule.category,
        severity: span.rule.severity,
        tags: [...span.rule.tags],
        path: target.path,
        line,
        column: span.start - lineStart + 1,
        ...(target.commit === undefined ? {} : { commit: target.commit }),
        preview: redactedPreview(secretText),
        length: [...secretText].length,
        fingerprint: this.fingerprints.fingerprint(secret),
        status: lineText.includes(ALLOW_MARKER_BYTES) ? 'allowed' : 'detected',
      });
    }
    return findings;
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
