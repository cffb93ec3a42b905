import type { ReceivePackRequestParser } from '../../pack-parser/index.js';

/**
 * Feeds a receive-pack body to its parser and keeps the bytes of the command section (everything
 * before the pack), so that a forward can send them unchanged ahead of the spooled or kept pack.
 */
export class CommandSectionRecorder {
  private readonly chunks: Buffer[] = [];
  private section: Buffer | undefined;

  constructor(private readonly parser: ReceivePackRequestParser) {}

  feed(chunk: Buffer): void {
    if (this.section === undefined) this.chunks.push(chunk);
    this.parser.write(chunk);
    if (this.section === undefined && this.parser.packOffset >= 0) {
      this.section = Buffer.concat(this.chunks).subarray(0, this.parser.packOffset);
      this.chunks.length = 0;
    }
  }

  /** The bytes before the pack; the whole body fed so far when it has no pack (yet). */
  bytes(): Buffer {
    return this.section ?? Buffer.concat(this.chunks);
  }
}
