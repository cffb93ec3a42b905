import type { MarkedLines } from './marked-lines.js';
import { compareSpans, OverlapResolver, type SecretSpan } from './secret-span.js';

/** Candidates by start (longer first), ties in the order they came: a stable sort, one pop at a time. */
class SpanQueue {
  private readonly heap: { span: SecretSpan; seq: number }[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  peek(): SecretSpan | undefined {
    return this.heap[0]?.span;
  }

  push(span: SecretSpan): void {
    const heap = this.heap;
    const item = { span, seq: this.seq++ };
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(item, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
  }

  pop(): SecretSpan | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top?.span;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && this.before(heap[right]!, heap[left]!) ? right : left;
      if (!this.before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top.span;
  }

  private before(a: { span: SecretSpan; seq: number }, b: { span: SecretSpan; seq: number }): boolean {
    const order = compareSpans(a.span, b.span);
    return order < 0 || (order === 0 && a.seq < b.seq);
  }
}

export interface FindingLimit {
  /** Stop once this many findings without the allow marker are final; list at most as many allowed ones. */
  maxFindings: number;
  /** The scanned content's lines, to tell allowed findings from the others before the costly filters. */
  lines: MarkedLines;
}

/**
 * Turns a file's candidate spans into its secrets: candidates are taken in file order, filtered
 * (`accept`: added lines, placeholders, entropy, allowlists) and resolved for overlaps one at a
 * time, so a scan can stop once `limit.maxFindings` findings are in hand and skip the filters of
 * every later candidate. The caller says with `settle(frontier)` that no candidate will start
 * before `frontier` any more.
 *
 * The allow marker counts apart: findings on allowed lines never fill the limit (else a hundred
 * allowed fixtures in a file would hide a real secret after them); once `maxFindings` allowed ones
 * are listed, candidates on allowed lines are dropped before the filters. Such a dropped candidate
 * then no longer wins an overlap with a candidate that starts on another line (a multi-line span),
 * which can only turn an allowed finding into a detected one.
 */
export class SpanSelection {
  /** With a limit: candidates in file order as they come. */
  private readonly queue = new SpanQueue();
  /** Without one: all candidates, sorted once at the end (cheaper than the queue). */
  private readonly unordered: SecretSpan[] = [];
  private readonly resolver = new OverlapResolver();
  /** Whether each kept span is on an allowed line (only counted with a limit). */
  private readonly keptAllowed: boolean[] = [];
  private detected = 0;
  private allowed = 0;
  /** Some finding may be missing from the result: the scan stopped, or candidates were dropped. */
  truncated = false;
  private stopped = false;

  constructor(
    private readonly accept: (span: SecretSpan) => boolean,
    private readonly limit?: FindingLimit,
  ) {}

  add(span: SecretSpan): void {
    if (this.limit === undefined) this.unordered.push(span);
    else this.queue.push(span);
  }

  /** True once as many allowed findings are listed as the limit lets through. */
  get allowedFull(): boolean {
    return this.limit !== undefined && this.allowed >= this.limit.maxFindings;
  }

  /** The caller skipped candidates (on allowed lines, once `allowedFull`). */
  markTruncated(): void {
    this.truncated = true;
  }

  /** The caller stops the scan (after `settle` said the limit is reached): nothing more is selected. */
  stop(): void {
    this.stopped = true;
    this.truncated = true;
  }

  /**
   * With a limit: selects every candidate that starts before `frontier`. True when
   * `limit.maxFindings` detected findings are final: no candidate still to come can replace them.
   */
  settle(frontier: number): boolean {
    const { queue, resolver, keptAllowed, limit } = this;
    if (limit === undefined) return false;
    for (let next = queue.peek(); next !== undefined && next.start < frontier; next = queue.peek()) {
      const span = queue.pop()!;
      const allowed = limit.lines.moveTo(span.start).allowed;
      if (allowed && this.allowed >= limit.maxFindings) {
        this.truncated = true;
        continue;
      }
      if (!this.accept(span)) continue;
      const outcome = resolver.add(span);
      if (outcome === 'dropped') continue;
      if (outcome === 'replaced') this.count(keptAllowed.pop()!, -1);
      keptAllowed.push(allowed);
      this.count(allowed, 1);
      // Every kept span but the last is final: enough of them, and the rest need no filtering.
      if (outcome === 'appended' && this.detected - (allowed ? 0 : 1) >= limit.maxFindings) return true;
    }
    const last = resolver.kept[resolver.kept.length - 1];
    const lastOpen = last !== undefined && last.end > frontier && !keptAllowed[keptAllowed.length - 1];
    return this.detected - (lastOpen ? 1 : 0) >= limit.maxFindings;
  }

  /** The selected spans in file order; with a limit, cut after the `maxFindings`-th detected one. */
  finish(): SecretSpan[] {
    const { resolver, limit } = this;
    if (limit === undefined) {
      this.unordered.sort(compareSpans); // stable: ties keep the order they came in, as the queue does
      for (const span of this.unordered) if (this.accept(span)) resolver.add(span);
      return resolver.kept;
    }
    if (!this.stopped && this.settle(Infinity) && this.queue.size > 0) this.truncated = true;
    if (this.detected > limit.maxFindings) this.truncated = true;
    if (!this.truncated) return resolver.kept;
    let detected = 0;
    for (let i = 0; i < resolver.kept.length; i++) {
      if (!this.keptAllowed[i] && ++detected === limit.maxFindings) return resolver.kept.slice(0, i + 1);
    }
    return resolver.kept;
  }

  private count(allowed: boolean, delta: number): void {
    if (allowed) this.allowed += delta;
    else this.detected += delta;
  }
}
