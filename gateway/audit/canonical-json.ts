import { createHash } from 'node:crypto';
import type { AuditEvent, JsonValue } from './audit-types.js';

/**
 * JSON with object keys sorted at every level and no whitespace: the same text for the same
 * value whichever store kept it (a database may reorder keys), so hashes can be recomputed.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`).join(',')}}`;
}

/**
 * Any value as plain JSON data: undefined and functions dropped, bigints as strings, Errors as
 * {name, message, code}, Dates as ISO strings, Buffers as their length, non-finite numbers as null.
 */
export function toJsonValue(value: unknown, depth = 0): JsonValue {
  if (depth > 32) return '[too deep]';
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return { bytes: value.length };
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : toJsonValue(item, depth + 1)));
  if (value instanceof Map) return toJsonValue(Object.fromEntries(value), depth);
  if (value instanceof Set) return toJsonValue([...value], depth);
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      out[key] = toJsonValue(item, depth + 1);
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
