import { createHash } from 'node:crypto';
import { scanAddedLines, type BlobChange } from './added-lines.js';
import { scanArchiveEntries, topLevelArchiveContext, type ArchiveScanContext } from './archive-scan.js';
import type { SecretFinding } from './finding.js';
import { MarkedLines } from './marked-lines.js';
import type { ByteRange } from './secret-span.js';
import { looksBinary, toBuffer, type FileScanResult, type SecretScanner } from './secret-scanner.js';
import { utf16LeStrings, utf16TextAsUtf8, utf16TextOf, type Utf16Alignment } from './utf16-text.js';

/**
 * Context a slice's region reaches on both sides of the bytes it owns: a secret and the window
 * around its keyword (a few hundred bytes, at most 64 KiB when merged) lie whole in the region of
 * the slice where the secret starts.
 */
const SLICE_CONTEXT_BYTES = 64 * 1024;

/**
 * Scans a file of any size, also one larger than the scanner's `fileSizeLimit` (which `scanFile`
 * skips as too large): in slices of about that size, giving the caller's `pause` a turn between
 * slices, so that a large file neither goes unscanned nor holds the event loop.
 *
 * A text file within the limit is scanned as `scanAddedLines` does. For a larger one, a line diff
 * is not affordable; a finding counts as added when its line occurs more often in the new blob
 * than in the old one (exactly the same bytes), so a secret already in the file is not reported
 * again when other lines change, and a line that is new or newly repeated is. Binary files, of
 * any size, are scanned in slices too, with the rules of the scanner's `binaryFiles` (or
 * reported as skipped), and so are the UTF-16LE strings among their bytes; there a finding counts
 * as added when the old version does not hold its secret (the same bytes) at all. A file that
 * starts with a UTF-16 byte order mark is also decoded and scanned as the text it is, whatever
 * `binaryFiles` says (see utf16-text.ts). The files inside a zip, tar or ar archive or a gzip, xz, zstd or bzip2 file are
 * scanned each as a file, at `<path>!<entry name>` (see archive-scan.ts); one that cannot be read
 * makes the result `unscanned`. Each slice reports at most `findingsPerFileLimit` findings, and so
 * does the file (`truncatedFindings` when cut).
 */
export async function scanLargeText(
  scanner: SecretScanner,
  change: BlobChange,
  pause: () => Promise<void>,
  archives: ArchiveScanContext = topLevelArchiveContext(scanner.archiveLimits),
): Promise<FileScanResult> {
  const content = toBuffer(change.newContent);
  const own = await scanOwnBytes(scanner, change, content, pause);
  const entries = await scanArchiveEntries({ ...change, newContent: content }, archives, pause, (entry, inner) => scanLargeText(scanner, entry, pause, inner));
  if (entries === undefined) return own;
  // A stored (not compressed) entry's secret is also in the archive's own bytes: it is reported
  // once, in the file it is in.
  const inEntries = new Set(entries.findings.map((finding) => finding.fingerprint));
  const all = [...own.findings.filter((finding) => !inEntries.has(finding.fingerprint)), ...entries.findings];
  // An archive's files are scanned whatever `binaryFiles` says of the archive's own bytes.
  return {
    ...describedBy(own),
    bytes: own.bytes,
    ...capped(scanner, all, own.truncatedFindings === true || entries.truncated),
    ...(entries.unscanned === undefined ? {} : { unscanned: entries.unscanned }),
  };
}

/** The path and commit of a change, as its scan result names them. */
function describedBy(change: { path: string; commit?: string }): { path: string; commit?: string } {
  return { path: change.path, ...(change.commit === undefined ? {} : { commit: change.commit }) };
}

/** The findings of several scans of one file, at most `findingsPerFileLimit`; `cut` when a scan already stopped early. */
function capped(scanner: SecretScanner, all: SecretFinding[], cut: boolean): { findings: SecretFinding[]; truncatedFindings?: true } {
  const findings = all.slice(0, scanner.findingsPerFileLimit);
  return { findings, ...(cut || all.length > findings.length ? { truncatedFindings: true } : {}) };
}

/** `scanLargeText` of the file's own bytes (and text, when it is UTF-16), without the files inside it. */
async function scanOwnBytes(scanner: SecretScanner, change: BlobChange, content: Buffer, pause: () => Promise<void>): Promise<FileScanResult> {
  const utf16 = utf16TextOf(content);
  if (utf16 === undefined) return scanBytes(scanner, change, content, pause, ['even', 'odd']);
  // The text it says it is, and the bytes as they are: a byte order mark in front of other bytes
  // must not hide them. The strings of the bytes are read at the alignment the text is not.
  const text = utf16TextAsUtf8(content, utf16);
  const described = describedBy(change);
  let decoded = await scanBytes(scanner, { ...described, newContent: text }, text, pause, ['even', 'odd']);
  // Only a text with findings needs its old version, decoded too when it is UTF-16: against it,
  // what the old one already held is not reported again.
  if (decoded.findings.length > 0 && change.oldContent !== undefined) {
    const oldContent = toBuffer(change.oldContent);
    const oldUtf16 = utf16TextOf(oldContent);
    const oldText = oldUtf16 === undefined ? oldContent : utf16TextAsUtf8(oldContent, oldUtf16);
    decoded = await scanBytes(scanner, { ...described, newContent: text, oldContent: oldText }, text, pause, ['even', 'odd']);
  }
  const raw = await scanBytes(scanner, change, content, pause, [utf16.encoding === 'utf16le' ? 'odd' : 'even']);
  const both = [...raw.findings, ...decoded.findings].sort((a, b) => a.line - b.line || a.column - b.column);
  return {
    ...described,
    bytes: content.length,
    ...capped(scanner, both, raw.truncatedFindings === true || decoded.truncatedFindings === true),
    ...(raw.skipped !== undefined && decoded.skipped !== undefined ? { skipped: raw.skipped } : {}),
  };
}

/** `scanLargeText` on the content's own bytes; the UTF-16LE strings of a binary at `alignments`. */
async function scanBytes(
  scanner: SecretScanner,
  change: BlobChange,
  content: Buffer,
  pause: () => Promise<void>,
  alignments: readonly Utf16Alignment[],
): Promise<FileScanResult> {
  const limit = scanner.fileSizeLimit;
  const binary = looksBinary(content);
  const described = describedBy(change);
  if (binary && !scanner.readsBinaryFiles) return { ...described, bytes: content.length, findings: [], skipped: 'binary' };
  if (!binary && content.length <= limit) return scanAddedLines(scanner, { ...change, newContent: content });
  const scan = await scanInSlices(scanner, content, described, binary, pause);
  let findings = scan.findings;
  let truncated = scan.truncated;
  if (binary) {
    const strings = await scanUtf16Strings(scanner, content, described, alignments, pause);
    findings = [...findings, ...strings.findings].sort((a, b) => a.secret.start - b.secret.start);
    truncated ||= strings.truncated;
  }
  const oldContent = change.oldContent === undefined ? undefined : toBuffer(change.oldContent);
  if (oldContent !== undefined && findings.length > 0) {
    findings = binary ? await findingsNotInOld(findings, content, oldContent, pause) : await findingsOnAddedLines(findings, content, oldContent, pause);
  }
  if (findings.length > scanner.findingsPerFileLimit) {
    findings = findings.slice(0, scanner.findingsPerFileLimit);
    truncated = true;
  }
  return { ...described, bytes: content.length, findings: findings.map((located) => located.finding), ...(truncated ? { truncatedFindings: true } : {}) };
}

interface SlicedScan {
  findings: LocatedFinding[];
  truncated: boolean;
}

/** Every slice of the content, with a turn for the caller after each. */
async function scanInSlices(
  scanner: SecretScanner,
  content: Buffer,
  described: { path: string; commit?: string },
  binary: boolean,
  pause: () => Promise<void>,
): Promise<SlicedScan> {
  const limit = scanner.fileSizeLimit;
  const context = Math.min(SLICE_CONTEXT_BYTES, Math.floor(limit / 4));
  const sliceBytes = Math.max(1, limit - 2 * context);
  const target = { ...described, content };
  const lines = new MarkedLines(content);
  const findings: LocatedFinding[] = [];
  let truncated = false;
  for (let start = 0; start < content.length; start += sliceBytes) {
    const end = Math.min(content.length, start + sliceBytes);
    const region = { start: Math.max(0, start - context), end: Math.min(content.length, end + context) };
    const slice = scanner.scanSlice(content, region, { start, end }, target, lines, binary);
    slice.findings.forEach((finding, i) => findings.push({ finding, secret: slice.secrets[i]! }));
    truncated ||= slice.truncated;
    await pause();
  }
  return { findings, truncated };
}

/**
 * The findings in a binary's UTF-16LE strings, placed in the binary: line and column of the
 * secret's first byte there, and its bytes there (two per character) as its `secret`. The rules
 * are those for binaries; a string's line carries the allow marker when the string does.
 */
async function scanUtf16Strings(
  scanner: SecretScanner,
  content: Buffer,
  described: { path: string; commit?: string },
  alignments: readonly Utf16Alignment[],
  pause: () => Promise<void>,
): Promise<SlicedScan> {
  const strings = utf16LeStrings(content, alignments);
  if (strings.runs.length === 0) return { findings: [], truncated: false };
  const scan = await scanInSlices(scanner, strings.text, described, true, pause);
  const lines = new MarkedLines(content);
  const { runs } = strings;
  let first = 0;
  const findings = scan.findings.map(({ finding, secret }) => {
    while (first + 1 < runs.length && runs[first + 1]!.textStart <= secret.start) first++;
    // A secret of several lines (a PEM block) spans several strings: it ends in a later one.
    let last = first;
    while (last + 1 < runs.length && runs[last + 1]!.textStart < secret.end) last++;
    const start = runs[first]!.sourceStart + 2 * (secret.start - runs[first]!.textStart);
    const end = runs[last]!.sourceStart + 2 * (secret.end - runs[last]!.textStart);
    lines.moveTo(start);
    return { finding: { ...finding, line: lines.line, column: start - lines.start + 1 }, secret: { start, end } };
  });
  return { findings, truncated: scan.truncated };
}

interface LocatedFinding {
  finding: SecretFinding;
  /** Where the secret lies in the content. */
  secret: ByteRange;
}

const lineStartOf = ({ finding, secret }: LocatedFinding): number => secret.start - (finding.column - 1);

/**
 * The findings of a binary file whose secret (the same bytes) the old version does not hold. A
 * binary's "lines" change with the code around a string when it is rebuilt; the key itself does not.
 */
async function findingsNotInOld(findings: LocatedFinding[], newContent: Buffer, oldContent: Buffer, pause: () => Promise<void>): Promise<LocatedFinding[]> {
  const added: LocatedFinding[] = [];
  for (const located of findings) {
    if (!oldContent.includes(newContent.subarray(located.secret.start, located.secret.end))) added.push(located);
    await pause();
  }
  return added;
}

/**
 * The findings whose line (its bytes, without the line end) the new content has more often than
 * the old. Lines are compared by length, then by digest: a finding on a line of many megabytes
 * costs no copy of it.
 */
async function findingsOnAddedLines(findings: LocatedFinding[], newContent: Buffer, oldContent: Buffer, pause: () => Promise<void>): Promise<LocatedFinding[]> {
  const counts = new Map<string, { new: number; old: number }>();
  const lengths = new Set<number>();
  const keyOf = new Map<number, string>(); // by line start: several findings often share a line
  for (const located of findings) {
    const lineStart = lineStartOf(located);
    if (keyOf.has(lineStart)) continue;
    const end = lineEnd(newContent, lineStart);
    const key = lineKey(newContent, lineStart, end);
    keyOf.set(lineStart, key);
    counts.set(key, { new: 0, old: 0 });
    lengths.add(end - lineStart);
  }
  await countLines(newContent, counts, lengths, 'new', pause);
  await countLines(oldContent, counts, lengths, 'old', pause);
  return findings.filter((located) => {
    const count = counts.get(keyOf.get(lineStartOf(located))!)!;
    return count.new > count.old;
  });
}

function lineKey(content: Buffer, start: number, end: number): string {
  return `${end - start}:${createHash('sha256').update(content.subarray(start, end)).digest('hex')}`;
}

/** Where the line starting at `start` ends, without its newline and carriage return. */
function lineEnd(content: Buffer, start: number, newline = content.indexOf(10, start)): number {
  let end = newline === -1 ? content.length : newline;
  if (end > start && content[end - 1] === 13) end--;
  return end;
}

/** Lines walked between two calls of the caller's `pause` (a few milliseconds of work). */
const LINES_PER_TURN = 64 * 1024;

/** Adds to `counts` how often each of its lines occurs in `content`; lines of other `lengths` are not hashed. */
async function countLines(
  content: Buffer,
  counts: Map<string, { new: number; old: number }>,
  lengths: ReadonlySet<number>,
  side: 'new' | 'old',
  pause: () => Promise<void>,
): Promise<void> {
  let walked = 0;
  for (let start = 0; start < content.length; ) {
    const newline = content.indexOf(10, start);
    const end = lineEnd(content, start, newline);
    if (lengths.has(end - start)) {
      const count = counts.get(lineKey(content, start, end));
      if (count !== undefined) count[side]++;
    }
    start = newline === -1 ? content.length : newline + 1;
    if (++walked % LINES_PER_TURN === 0) await pause();
  }
}
