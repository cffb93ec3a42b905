import { createHash } from 'node:crypto';
import { scanAddedLines, type BlobChange } from './added-lines.js';
import type { SecretFinding } from './finding.js';
import { MarkedLines } from './marked-lines.js';
import type { ByteRange } from './secret-span.js';
import { looksBinary, toBuffer, type FileScanResult, type SecretScanner } from './secret-scanner.js';

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
 * reported as skipped); there a finding counts as added when the old version does not hold its
 * secret at all. Each slice reports at most `findingsPerFileLimit` findings, and so does the file
 * (`truncatedFindings` when cut).
 */
export async function scanLargeText(scanner: SecretScanner, change: BlobChange, pause: () => Promise<void>): Promise<FileScanResult> {
  const content = toBuffer(change.newContent);
  const limit = scanner.fileSizeLimit;
  const binary = looksBinary(content);
  const described = { path: change.path, ...(change.commit === undefined ? {} : { commit: change.commit }) };
  const target = { ...described, content };
  if (binary && !scanner.readsBinaryFiles) return { ...described, bytes: content.length, findings: [], skipped: 'binary' };
  if (!binary && content.length <= limit) return scanAddedLines(scanner, change);
  const context = Math.min(SLICE_CONTEXT_BYTES, Math.floor(limit / 4));
  const sliceBytes = Math.max(1, limit - 2 * context);
  const lines = new MarkedLines(content);
  let findings: LocatedFinding[] = [];
  let truncated = false;
  for (let start = 0; start < content.length; start += sliceBytes) {
    const end = Math.min(content.length, start + sliceBytes);
    const region = { start: Math.max(0, start - context), end: Math.min(content.length, end + context) };
    const slice = scanner.scanSlice(content, region, { start, end }, target, lines, binary);
    slice.findings.forEach((finding, i) => findings.push({ finding, secret: slice.secrets[i]! }));
    truncated ||= slice.truncated;
    await pause();
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
