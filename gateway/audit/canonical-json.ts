import { createHash } from 'node:crypto';
import type { AuditEvent, JsonValue } from './audit-types.js';

/**
 * Values returned by `toJsonValue` whose keys were all inserted in sorted order, none looking like
 * an array index (JavaScript lists those first): `JSON.stringify` writes their canonical text,
 * natively and far faster. Only the returned value is marked; it must not be changed afterwards.
 */
const canonicalValues = new WeakSet<object>();

/**
 * JSON with object keys sorted at every level and no whitespace: the same text for the same
 * value whichever store kept it (a database may reorder keys), so hashes can be recomputed.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object' || canonicalValues.has(value)) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`).join(',')}}`;
}

/** Rewrites every string (values and keys); `key` is the property a value sits under, if any. */
export type StringMask = (key: string | undefined, text: string) => string;

const INDEX_LIKE_KEY = /^[0-9]+$/;

/**
 * Any value as plain JSON data, in one pass: undefined and functions dropped, bigints as strings,
 * Errors as {name, message, code}, Dates as ISO strings, Buffers as their length, non-finite
 * numbers as null; object keys in sorted order. With `mask`, every string, keys included, is
 * masked on the way (the audit log masks secrets before it hashes).
 */
export function toJsonValue(value: unknown, mask?: StringMask): JsonValue {
  const state = { sorted: true };
  const out = convert(value, mask, 0, undefined, state);
  if (state.sorted && out !== null && typeof out === 'object') canonicalValues.add(out);
  return out;
}

function convert(value: unknown, mask: StringMask | undefined, depth: number, key: string | undefined, state: { sorted: boolean }): JsonValue {
  if (depth > 32) return '[too deep]';
  if (typeof value === 'string') return mask === undefined ? value : mask(key, value);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return { bytes: value.length };
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return convert({ name: value.name, message: value.message, ...(typeof code === 'string' ? { code } : {}) }, mask, depth, key, state);
  }
  if (Array.isArray(value)) {
    const out = new Array<JsonValue>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = value[i] === undefined ? null : convert(value[i], mask, depth + 1, undefined, state);
    return out;
  }
  if (value instanceof Map) return convert(Object.fromEntries(value), mask, depth, key, state);
  if (value instanceof Set) return convert([...value], mask, depth, key, state);
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const name of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[name];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      const outName = mask === undefined ? name : mask(undefined, name);
      // A masked key may sort elsewhere (and two may become one): canonicalJson sorts then.
      if (outName !== name || INDEX_LIKE_KEY.test(name)) state.sorted = false;
      out[outName] = convert(item, mask, depth + 1, name, state);
    }
    return out;
  }
  return null;
}

/** `sha256:<hex>` of the canonical JSON of every field of the event except `hash`. */
export function eventHash(event: Omit<AuditEvent, 'hash'> | AuditEvent): string {
  const { hash: _ignored, ...rest } = event as AuditEvent;
  return `sha256:${createHash('sha256').update(canonicalJson(rest as unknown as JsonValue)).digest('hex')}`;
}
