import { createHash } from 'node:crypto';
import { PackParserError } from './errors.js';
import type { PackObjectTable } from './pack-object-table.js';

const IDX_V2_MAGIC = Buffer.from([0xff, 0x74, 0x4f, 0x63]);
const LARGE_OFFSET = 0x80000000;

/**
 * Order of the table's entries by object id, as the idx lists them. Buckets by the first two id
 * bytes, then sorts each small bucket by comparing ids.
 */
export function entriesSortedById(table: PackObjectTable): Uint32Array {
  const n = table.count;
  const h = table.hashLength;
  const ids = table.ids;
  const bucketStarts = new Uint32Array(65537);
  for (let i = 0; i < n; i++) bucketStarts[((ids[i * h]! << 8) | ids[i * h + 1]!) + 1]!++;
  for (let b = 1; b <= 65536; b++) bucketStarts[b]! += bucketStarts[b - 1]!;
  const order = new Uint32Array(n);
  const fill = bucketStarts.slice(0, 65536);
  for (let i = 0; i < n; i++) order[fill[(ids[i * h]! << 8) | ids[i * h + 1]!]!++] = i;
  const compare = (a: number, b: number): number => ids.compare(ids, b * h, b * h + h, a * h, a * h + h) || a - b;
  for (let b = 0; b < 65536; b++) {
    const start = bucketStarts[b]!;
    const end = bucketStarts[b + 1]!;
    if (end - start > 1) order.subarray(start, end).sort(compare);
  }
  return order;
}

/**
 * Writes a version 2 pack index for a fully decoded pack: byte for byte what `git index-pack`
 * writes for the same pack (fan-out, sorted ids, CRC-32s, 31-bit offsets with a 64-bit table for
 * offsets past 2 GiB, pack checksum, idx checksum).
 */
export function writeIdxV2(table: PackObjectTable, packChecksum: Buffer, hashAlgorithm: 'sha1' | 'sha256' = 'sha1'): Buffer {
  const n = table.count;
  const h = table.hashLength;
  if (packChecksum.length !== h) {
    throw new PackParserError('IDX_BAD_INPUT', `pack checksum has ${packChecksum.length} bytes, expected ${h}`);
  }
  for (let i = 0; i < n; i++) {
    if (!table.isResolved(i)) throw new PackParserError('IDX_BAD_INPUT', `object at ${table.offsets[i]} is not resolved`);
  }
  const order = entriesSortedById(table);
  let largeCount = 0;
  for (let i = 0; i < n; i++) if (table.offsets[i]! >= LARGE_OFFSET) largeCount++;
  const size = 8 + 256 * 4 + n * (h + 8) + largeCount * 8 + 2 * h;
  const out = Buffer.alloc(size);
  let pos = 0;
  IDX_V2_MAGIC.copy(out, pos);
  out.writeUInt32BE(2, 4);
  pos = 8;
  const fanout = new Uint32Array(256);
  for (let i = 0; i < n; i++) fanout[table.ids[i * h]!]!++;
  let cumulative = 0;
  for (let b = 0; b < 256; b++) {
    cumulative += fanout[b]!;
    out.writeUInt32BE(cumulative, pos);
    pos += 4;
  }
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    table.ids.copy(out, pos, i * h, i * h + h);
    pos += h;
  }
  for (let k = 0; k < n; k++) {
    out.writeUInt32BE(table.crc32s[order[k]!]!, pos);
    pos += 4;
  }
  const largeStart = pos + n * 4;
  let large = 0;
  for (let k = 0; k < n; k++) {
    const offset = table.offsets[order[k]!]!;
    if (offset < LARGE_OFFSET) {
      out.writeUInt32BE(offset, pos);
    } else {
      out.writeUInt32BE((LARGE_OFFSET | large) >>> 0, pos);
      out.writeBigUInt64BE(BigInt(offset), largeStart + large * 8);
      large++;
    }
    pos += 4;
  }
  pos = largeStart + large * 8;
  packChecksum.copy(out, pos);
  pos += h;
  createHash(hashAlgorithm).update(out.subarray(0, pos)).digest().copy(out, pos);
  return out;
}
