import { addedLineByteRanges, lineIndicesToRanges, lineOffsets } from './line-diff.js';
import { looksBinary, toBuffer, type FileScanResult, type SecretScanner } from './secret-scanner.js';

/** One changed file of a push: the old blob (absent for a new file) and the new one. */
export interface BlobChange {
  path: string;
  /** Undefined for a new file: it is scanned whole. */
  oldContent?: Uint8Array | string;
  newContent: Uint8Array | string;
  commit?: string;
}

/**
 * Findings on the added lines only, so a secret already in the file is not reported again when a
 * neighbouring line changes. Patterns still see the whole line and its neighbours, so a private
 * key whose lines were all added is found; a secret on an untouched line is not.
 */
export function scanAddedLines(scanner: SecretScanner, change: BlobChange): FileScanResult {
  const target = { path: change.path, content: toBuffer(change.newContent), ...(change.commit === undefined ? {} : { commit: change.commit }) };
  if (change.oldContent === undefined) return scanner.scanFile(target);
  const oldContent = toBuffer(change.oldContent);
  // Diffing is only worth it for text the scanner will read; it skips and reports the rest.
  if (looksBinary(oldContent) || looksBinary(target.content)) return scanner.scanFile(target);
  // The diff runs only when the new blob holds a candidate secret somewhere.
  return scanner.scanFile(target, () => addedLineByteRanges(oldContent, target.content));
}

/** Findings on the given 1-based line numbers of a file (from a patch, e.g. `git diff -U0`). */
export function scanLines(
  scanner: SecretScanner,
  target: { path: string; content: Uint8Array | string; commit?: string },
  lineNumbers: readonly number[],
): FileScanResult {
  const content = toBuffer(target.content);
  const sorted = [...lineNumbers].sort((a, b) => a - b).map((n) => n - 1);
  return scanner.scanFile({ ...target, content }, lineIndicesToRanges(lineOffsets(content), sorted));
}
