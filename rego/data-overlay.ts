import { createHash } from 'node:crypto';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Lays `overlay` over `base`: objects merge key by key, anything else (arrays included) in the
 * overlay replaces what the base had. This is how a deployment overrides `policies/data.json`.
 */
export function overlayData(base: JsonObject, overlay: JsonObject): JsonObject {
  const merged: JsonObject = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    const current = merged[key];
    merged[key] = isObject(current) && isObject(value) ? overlayData(current, value) : value;
  }
  return merged;
}

/** A short stable digest of override data, appended to the revision so records say what decided. */
export function overlayDigest(overlay: JsonObject): string {
  return createHash('sha256').update(JSON.stringify(overlay)).digest('hex').slice(0, 12);
}
