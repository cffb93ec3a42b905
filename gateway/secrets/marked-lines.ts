/** A line that contains this (typically in a comment) does not block: its findings are `allowed`. */
export const ALLOW_MARKER = 'gitgate:allow';
const ALLOW_MARKER_BYTES = Buffer.from(ALLOW_MARKER);
const NEWLINE = 10;

/**
 * The line holding a byte offset: its 1-based number, where it starts, and whether it carries the
 * allow marker. Made for ascending offsets: each line is found once and searched for the marker at
 * most once, so walking a file costs one pass however many secrets sit on one line (a 1 MiB line of
 * tokens must not cost one search of the whole line per token). A smaller offset starts over.
 */
export class MarkedLines {
  /** 1-based number of the current line. */
  line = 1;
  /** Offset of the current line's first byte. */
  start = 0;
  /** Offset of the newline that ends the current line, or the content's length. */
  private end = -1;
  private marked: boolean | undefined;

  constructor(private readonly content: Buffer) {}

  /** Moves to the line holding `offset` (a newline belongs to the line it ends). */
  moveTo(offset: number): this {
    if (offset < this.start) {
      this.line = 1;
      this.start = 0;
      this.end = -1;
      this.marked = undefined;
    }
    for (;;) {
      if (this.end < 0) {
        const newline = this.content.indexOf(NEWLINE, this.start);
        this.end = newline === -1 ? this.content.length : newline;
      }
      if (offset <= this.end || this.end === this.content.length) return this;
      this.line++;
      this.start = this.end + 1;
      this.end = -1;
      this.marked = undefined;
    }
  }

  /** Whether the current line contains the allow marker. */
  get allowed(): boolean {
    this.marked ??= this.content.subarray(this.start, this.end).includes(ALLOW_MARKER_BYTES);
    return this.marked;
  }
}
