import type { CompiledSecretRule } from './compiled-rules.js';

/** Where a secret sits in a byte buffer: `[start, end)` of the secret itself, not of the whole match. */
export interface SecretSpan {
  rule: CompiledSecretRule;
  start: number;
  end: number;
}

/** A half-open byte range `[start, end)`. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Keeps one span per overlapping group: the more specific rule wins (provider over database over
 * generic), then the longer span. Input in any order; output sorted by start.
 */
export function resolveOverlaps(spans: SecretSpan[]): SecretSpan[] {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: SecretSpan[] = [];
  for (const span of spans) {
    const last = kept[kept.length - 1];
    if (last === undefined || span.start >= last.end) {
      kept.push(span);
      continue;
    }
    const better =
      span.rule.specificity > last.rule.specificity ||
      (span.rule.specificity === last.rule.specificity && span.end - span.start > last.end - last.start);
    if (better) kept[kept.length - 1] = span;
  }
  return kept;
}

/** True when `[start, end)` intersects one of the sorted, disjoint `ranges`. */
export function intersectsRanges(ranges: readonly ByteRange[], start: number, end: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const range = ranges[mid]!;
    if (range.end <= start) low = mid + 1;
    else if (range.start >= end) high = mid - 1;
    else return true;
  }
  return false;
}
