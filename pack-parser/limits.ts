/**
 * Resource limits for decoding an untrusted pack. Every limit has a safe default; a violation is a
 * PackParserError with a `PACK_LIMIT_*` code.
 */
export interface PackLimits {
  /** Total bytes of the pack stream, trailer included. Default 2 GiB (GitHub's push limit). */
  maxPackBytes: number;
  /** Objects announced in the pack header. Default 10 million. */
  maxObjectCount: number;
  /** Inflated size of one object, or of one delta's data or result. Default 512 MiB, at most 4 GiB - 1. */
  maxObjectSize: number;
  /** Longest delta chain. Default 4095, the deepest `git pack-objects --depth` can make. */
  maxDeltaDepth: number;
  /**
   * Inflated size over compressed size of one zlib stream, checked for streams that inflate to at
   * least `inflateRatioMinBytes`. Deflate cannot exceed about 1032:1, so the default of 1100 only
   * refuses what zlib itself would not produce; lower it to refuse highly compressible payloads.
   */
  maxInflateRatio: number;
  /** Streams smaller than this after inflating are not ratio-checked. Default 1 MiB. */
  inflateRatioMinBytes: number;
  /**
   * Total bytes of resolved objects (delta results included) for the whole pack: bounds the work a
   * small pack of deltas that copy large ranges can cause. Default 64 GiB.
   */
  maxResolvedBytes: number;
  /**
   * Resolved bytes per byte of pack received so far, once past `resolvedRatioFloorBytes`: a pack of
   * a few kB whose deltas each copy a large base over and over can otherwise resolve gigabytes.
   * Default Infinity (off); rebuilt objects count too.
   */
  maxResolvedRatio: number;
  /** Resolved bytes any pack may reach whatever its size before `maxResolvedRatio` applies. Default 1 GiB. */
  resolvedRatioFloorBytes: number;
}

export const DEFAULT_PACK_LIMITS: Readonly<PackLimits> = Object.freeze({
  maxPackBytes: 2 * 1024 ** 3,
  maxObjectCount: 10_000_000,
  maxObjectSize: 512 * 1024 ** 2,
  maxDeltaDepth: 4095,
  maxInflateRatio: 1100,
  inflateRatioMinBytes: 1024 ** 2,
  maxResolvedBytes: 64 * 1024 ** 3,
  maxResolvedRatio: Infinity,
  resolvedRatioFloorBytes: 1024 ** 3,
});

export function resolvePackLimits(overrides: Partial<PackLimits> | undefined): PackLimits {
  const limits = { ...DEFAULT_PACK_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    const finite = name !== 'maxResolvedRatio' || value !== Infinity;
    if (typeof value !== 'number' || (finite && !Number.isFinite(value)) || value <= 0) {
      throw new RangeError(`pack limit ${name} must be a positive number, got ${String(value)}`);
    }
  }
  if (limits.maxObjectSize > 0xffffffff) {
    throw new RangeError(`pack limit maxObjectSize must be below 4 GiB, got ${limits.maxObjectSize}`);
  }
  return limits;
}
