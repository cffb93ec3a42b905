import { looksBinary, type SecretScanner } from './secret-scanner.js';
import { utf16TextAsUtf8, utf16TextOf, type Utf16Text } from './utf16-text.js';

export interface SecretMaskerOptions {
  /** Values always masked wherever they appear (e.g. the upstream credential). At least 8 characters each. */
  knownSecrets?: readonly string[];
  /** What replaces a secret; default `[REDACTED:<rule id>]`. Must not itself look like a secret. */
  replacement?: (ruleId: string) => string;
}

const KNOWN_SECRET_RULE = 'known-secret';
const MAX_DEPTH = 32;
const BASE64_TEXT = /^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/;

interface MaskSpan {
  start: number;
  end: number;
  ruleId: string;
}

/**
 * One masker for everything the gateway shows: git messages, log records, audit records and API
 * responses. Secrets are found with the same rules as pushes, plus literal known secrets.
 */
export class SecretMasker {
  private readonly scanner: SecretScanner;
  private readonly knownSecrets: Buffer[] = [];
  private readonly replacement: (ruleId: string) => string;

  constructor(scanner: SecretScanner, options: SecretMaskerOptions = {}) {
    this.scanner = scanner;
    this.replacement = options.replacement ?? ((ruleId) => `[REDACTED:${ruleId}]`);
    for (const secret of options.knownSecrets ?? []) this.addKnownSecret(secret);
  }

  /** Masks this exact value from now on (e.g. a token issued at run time). */
  addKnownSecret(secret: string): void {
    if (secret.length < 8) throw new RangeError('a known secret to mask must be at least 8 characters long');
    const bytes = Buffer.from(secret, 'utf8');
    if (!this.knownSecrets.some((known) => known.equals(bytes))) this.knownSecrets.push(bytes);
  }

  /** The bytes with every secret replaced; the same Buffer when nothing was found. */
  maskBytes(content: Buffer): Buffer {
    const spans: MaskSpan[] = this.scanner.findSpans(content).map((s) => ({ start: s.start, end: s.end, ruleId: s.rule.id }));
    for (const known of this.knownSecrets) {
      for (let at = content.indexOf(known); at !== -1; at = content.indexOf(known, at + known.length)) {
        spans.push({ start: at, end: at + known.length, ruleId: KNOWN_SECRET_RULE });
      }
    }
    if (spans.length === 0) return content;
    spans.sort((a, b) => a.start - b.start || b.end - a.end);
    const parts: Buffer[] = [];
    let cursor = 0;
    for (const span of spans) {
      if (span.end <= cursor) continue;
      parts.push(content.subarray(cursor, Math.max(cursor, span.start)), Buffer.from(this.replacement(span.ruleId)));
      cursor = span.end;
    }
    parts.push(content.subarray(cursor));
    return Buffer.concat(parts);
  }

  maskString(text: string): string {
    if (text.length < 8) return text;
    const bytes = Buffer.from(text, 'utf8');
    const masked = this.maskBytes(bytes);
    return masked === bytes ? text : masked.toString('utf8');
  }

  /**
   * Base64 text (as in GitHub's `content` fields, wrapped or not) decoded, masked and re-encoded
   * with the same line width. UTF-16 text (with a byte order mark, or text throughout: see
   * utf16TextOf) is masked as the text it is and stays UTF-16. Other binary content and text that
   * is not base64 come back unchanged.
   */
  maskBase64(text: string): string {
    if (text.length < 12 || !BASE64_TEXT.test(text)) return text;
    const compact = text.replace(/[\r\n]/g, '');
    if (compact.length % 4 !== 0) return text;
    const decoded = Buffer.from(compact, 'base64');
    const utf16 = utf16TextOf(decoded);
    if (utf16 === undefined && looksBinary(decoded)) return text;
    const masked = utf16 === undefined ? this.maskBytes(decoded) : this.maskUtf16(decoded, utf16);
    if (masked === decoded) return text;
    const encoded = masked.toString('base64');
    const width = text.indexOf('\n');
    if (width <= 0) return encoded;
    const lines: string[] = [];
    for (let i = 0; i < encoded.length; i += width) lines.push(encoded.slice(i, i + width));
    return lines.join('\n') + (text.endsWith('\n') ? '\n' : '');
  }

  /**
   * UTF-16 text masked as the text it is, and encoded again as it was (its byte order mark first,
   * when it had one); the same buffer when there is nothing to mask.
   */
  private maskUtf16(content: Buffer, utf16: Utf16Text): Buffer {
    const text = utf16TextAsUtf8(content, utf16);
    const masked = this.maskBytes(text);
    if (masked === text) return content;
    const encoded = Buffer.from(`${utf16.start === 2 ? '\ufeff' : ''}${masked.toString('utf8')}`, 'utf16le');
    return utf16.encoding === 'utf16be' ? encoded.swap16() : encoded;
  }

  /** A string value of a JSON document or object: base64 `content` fields are decoded first. */
  maskField(key: string | undefined, value: string): string {
    const masked = this.maskString(value);
    return key === 'content' && masked === value ? this.maskBase64(value) : masked;
  }

  /**
   * A deep copy with every string masked (objects, arrays, errors; cycles and depth bounded).
   * Values without strings come back as they are.
   */
  maskValue<T>(value: T): T {
    return this.maskAny(value, undefined, 0, new WeakMap()) as T;
  }

  private maskAny(value: unknown, key: string | undefined, depth: number, seen: WeakMap<object, unknown>): unknown {
    if (typeof value === 'string') return this.maskField(key, value);
    if (typeof value !== 'object' || value === null) return value;
    if (seen.has(value)) return seen.get(value);
    if (depth >= MAX_DEPTH) return '[gitgate: too deep to mask]';
    if (ArrayBuffer.isView(value) || value instanceof Date || value instanceof RegExp) return value;
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      seen.set(value, out);
      for (const item of value) out.push(this.maskAny(item, undefined, depth + 1, seen));
      return out;
    }
    if (value instanceof Error) return this.maskError(value, depth, seen);
    const out: Record<string, unknown> = {};
    seen.set(value, out);
    for (const [k, v] of Object.entries(value)) out[k] = this.maskAny(v, k, depth + 1, seen);
    return out;
  }

  /** Keeps the error's class (so serializers report its type) with message, stack, cause and fields masked. */
  private maskError(error: Error, depth: number, seen: WeakMap<object, unknown>): Error {
    const out = Object.create(Object.getPrototypeOf(error) as object) as Error;
    seen.set(error, out);
    const define = (name: string, v: unknown) => Object.defineProperty(out, name, { value: v, writable: true, configurable: true, enumerable: false });
    define('message', this.maskString(error.message));
    if (error.stack !== undefined) define('stack', this.maskString(error.stack));
    if (error.cause !== undefined) define('cause', this.maskAny(error.cause, undefined, depth + 1, seen));
    for (const [k, v] of Object.entries(error)) (out as unknown as Record<string, unknown>)[k] = this.maskAny(v, k, depth + 1, seen);
    return out;
  }
}
