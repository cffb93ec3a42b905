import { Transform, type TransformCallback } from 'node:stream';
import type { SecretMasker } from './secret-masker.js';

export interface JsonMaskingStreamOptions {
  /**
   * The one thing buffered: a single JSON string value, which must be seen whole to mask it
   * (default 16 MiB). A longer value is replaced by a notice (fail closed), never passed through.
   */
  maxStringBytes?: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OVERSIZED_NOTICE = Buffer.from('"[gitgate: value too large to mask]"');

type Container = 'object' | 'array';

/**
 * Masks a JSON document as it streams: bytes outside strings pass straight through, each string
 * value is collected (bounded), masked (base64 `content` fields decoded first) and re-emitted,
 * byte-identical when nothing was masked. Memory: the largest string value, not the document.
 * It does not validate JSON; malformed input comes out masked on a best-effort basis.
 */
export class JsonMaskingStream extends Transform {
  private readonly masker: SecretMasker;
  private readonly maxStringBytes: number;
  private readonly stack: Container[] = [];
  private expectingKey = false;
  private lastKey: string | undefined;
  private inString = false;
  private escaped = false;
  private stringIsKey = false;
  private stringChunks: Buffer[] = [];
  private stringBytes = 0;
  private oversized = false;

  constructor(masker: SecretMasker, options: JsonMaskingStreamOptions = {}) {
    super();
    this.masker = masker;
    this.maxStringBytes = options.maxStringBytes ?? 16 * 1024 * 1024;
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let passFrom = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) {
          this.collect(bytes.subarray(passFrom, i + 1));
          passFrom = i + 1;
          this.finishString();
        }
        continue;
      }
      switch (byte) {
        case QUOTE:
          if (i > passFrom) this.push(bytes.subarray(passFrom, i));
          passFrom = i;
          this.startString();
          break;
        case 0x7b: // {
          this.stack.push('object');
          this.expectingKey = true;
          break;
        case 0x5b: // [
          this.stack.push('array');
          this.expectingKey = false;
          break;
        case 0x7d: // }
        case 0x5d: // ]
          this.stack.pop();
          this.expectingKey = false;
          break;
        case 0x3a: // :
          this.expectingKey = false;
          break;
        case 0x2c: // ,
          this.expectingKey = this.stack[this.stack.length - 1] === 'object';
          break;
        default:
          break;
      }
    }
    if (this.inString) this.collect(bytes.subarray(passFrom));
    else if (passFrom < bytes.length) this.push(bytes.subarray(passFrom));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.inString) {
      // Unterminated string at the end: emit it masked as plain text.
      const raw = Buffer.concat(this.stringChunks);
      this.push(this.oversized ? OVERSIZED_NOTICE : Buffer.from(this.masker.maskString(raw.toString('utf8'))));
      this.inString = false;
    }
    callback();
  }

  private startString(): void {
    this.inString = true;
    this.escaped = false;
    this.stringIsKey = this.expectingKey && this.stack[this.stack.length - 1] === 'object';
    this.stringChunks = [];
    this.stringBytes = 0;
    this.oversized = false;
  }

  private collect(part: Buffer): void {
    if (this.oversized || part.length === 0) return;
    this.stringBytes += part.length;
    if (this.stringBytes > this.maxStringBytes) {
      this.oversized = true;
      this.stringChunks = [];
      return;
    }
    this.stringChunks.push(Buffer.from(part));
  }

  private finishString(): void {
    this.inString = false;
    if (this.oversized) {
      this.push(OVERSIZED_NOTICE);
      if (this.stringIsKey) this.lastKey = undefined;
      return;
    }
    const raw = Buffer.concat(this.stringChunks);
    this.stringChunks = [];
    let decoded: string;
    try {
      decoded = JSON.parse(raw.toString('utf8')) as string;
    } catch {
      this.push(Buffer.from(this.masker.maskString(raw.toString('utf8'))));
      return;
    }
    if (this.stringIsKey) {
      this.lastKey = decoded;
      this.push(raw);
      return;
    }
    const masked = this.masker.maskField(this.lastKey, decoded);
    this.push(masked === decoded ? raw : Buffer.from(JSON.stringify(masked)));
  }
}
