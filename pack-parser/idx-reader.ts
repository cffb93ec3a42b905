import { PackParserError } from './errors.js';
import { IDX_V2_HEADER_BYTES, IDX_V2_MAGIC } from './idx-writer.js';

/**
 * The object ids a version 2 pack index lists, in its (sorted) order, as hex: what
 * `git show-index` prints, without running git. `hashLength` is 20 for SHA-1 and 32 for SHA-256
 * (the idx does not say which). Throws IDX_BAD_INPUT for anything that is not such an index, or is
 * shorter than its fan-out says.
 */
export function idxV2ObjectIds(idx: Buffer, hashLength: 20 | 32): string[] {
  if (idx.length < IDX_V2_HEADER_BYTES || !idx.subarray(0, 4).equals(IDX_V2_MAGIC) || idx.readUInt32BE(4) !== 2) {
    throw new PackParserError('IDX_BAD_INPUT', 'not a version 2 pack index');
  }
  let previous = 0;
  for (let b = 0; b < 256; b++) {
    const cumulative = idx.readUInt32BE(8 + b * 4);
    if (cumulative < previous) throw new PackParserError('IDX_BAD_INPUT', `the pack index's fan-out decreases at byte ${b.toString(16)}`);
    previous = cumulative;
  }
  const count = previous;
  // ids, CRC-32s and 31-bit offsets, then the two checksums; large offsets may sit in between.
  const minimum = IDX_V2_HEADER_BYTES + count * (hashLength + 8) + 2 * hashLength;
  if (idx.length < minimum) {
    throw new PackParserError('IDX_BAD_INPUT', `the pack index lists ${count} objects but has ${idx.length} bytes, fewer than the ${minimum} that takes`);
  }
  const ids = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const start = IDX_V2_HEADER_BYTES + i * hashLength;
    ids[i] = idx.toString('hex', start, start + hashLength);
  }
  return ids;
}
