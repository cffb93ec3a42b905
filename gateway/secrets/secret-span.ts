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
 * Overlap resolution fed one span at a time, in order of start (then longer first): keeps one span
 * per overlapping group, the more specific rule winning (provider over database over generic), then
 * the longer span. Only the last kept span can still be replaced, and only by a span that starts
 * before its end; every earlier one is final.
 */
export class OverlapResolver {
  readonly kept: SecretSpan[] = [];

  /** `appended`: a new group; `replaced`: it took the last kept span's place; `dropped`: it lost. */
  add(span: SecretSpan): 'appended' | 'replaced' | 'dropped' {
    const last = this.kept[this.kept.length - 1];
    if (last === undefined || span.start >= last.end) {
      this.kept.push(span);
      return 'appended';
    }
    const better =
      span.rule.specificity > last.rule.specificity ||
      (span.rule.specificity === last.rule.specificity && span.end - span.start > last.end - last.start);
    if (!better) return 'dropped';
    this.kept[this.kept.length - 1] = span;
    return 'replaced';
  }
}

/** The order in which overlap resolution reads spans: by start, longer first. */
export function compareSpans(a: SecretSpan, b: SecretSpan): number {
  return a.start - b.start || b.end - a.end;
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
