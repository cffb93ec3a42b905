import { createHash } from 'node:crypto';
import { PackParserError } from './errors.js';
import type { PackObjectTable } from './pack-object-table.js';

/** A version 2 pack index starts with these bytes, then its version (2). */
export const IDX_V2_MAGIC = Buffer.from([0xff, 0x74, 0x4f, 0x63]);
/** The magic, the version and the 256 cumulative counts of the fan-out table. */
export const IDX_V2_HEADER_BYTES = 8 + 256 * 4;
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

const PIECE_ENTRIES = 32 * 1024;

/**
 * A version 2 pack index for a fully decoded pack, in pieces of at most about 1 MiB so that a large
 * index is written without being built whole in memory: byte for byte what `git index-pack` writes
 * for the same pack (fan-out, sorted ids, CRC-32s, 31-bit offsets with a 64-bit table for offsets
 * past 2 GiB, pack checksum, then the checksum of the index itself).
 */
export function* idxV2Pieces(
  table: PackObjectTable,
  packChecksum: Buffer,
  hashAlgorithm: 'sha1' | 'sha256' = 'sha1',
): Generator<Buffer> {
  const n = table.count;
  const h = table.hashLength;
  if (packChecksum.length !== h) {
    throw new PackParserError('IDX_BAD_INPUT', `pack checksum has ${packChecksum.length} bytes, expected ${h}`);
  }
  for (let i = 0; i < n; i++) {
    if (!table.isResolved(i)) throw new PackParserError('IDX_BAD_INPUT', `object at ${table.offsets[i]} is not resolved`);
  }
  const order = entriesSortedById(table);
  const idxHash = createHash(hashAlgorithm);
  const emit = (piece: Buffer): Buffer => {
    idxHash.update(piece);
    return piece;
  };

  const header = Buffer.alloc(IDX_V2_HEADER_BYTES);
  IDX_V2_MAGIC.copy(header, 0);
  header.writeUInt32BE(2, 4);
  const fanout = new Uint32Array(256);
  for (let i = 0; i < n; i++) fanout[table.ids[i * h]!]!++;
  let cumulative = 0;
  for (let b = 0; b < 256; b++) {
    cumulative += fanout[b]!;
    header.writeUInt32BE(cumulative, 8 + b * 4);
  }
  yield emit(header);

  for (let from = 0; from < n; from += PIECE_ENTRIES) {
    const to = Math.min(n, from + PIECE_ENTRIES);
    const piece = Buffer.allocUnsafe((to - from) * h);
    for (let k = from; k < to; k++) table.ids.copy(piece, (k - from) * h, order[k]! * h, order[k]! * h + h);
    yield emit(piece);
  }
  for (let from = 0; from < n; from += PIECE_ENTRIES) {
    const to = Math.min(n, from + PIECE_ENTRIES);
    const piece = Buffer.allocUnsafe((to - from) * 4);
    for (let k = from; k < to; k++) piece.writeUInt32BE(table.crc32s[order[k]!]!, (k - from) * 4);
    yield emit(piece);
  }
  const largeOffsets: number[] = [];
  for (let from = 0; from < n; from += PIECE_ENTRIES) {
    const to = Math.min(n, from + PIECE_ENTRIES);
    const piece = Buffer.allocUnsafe((to - from) * 4);
    for (let k = from; k < to; k++) {
      const offset = table.offsets[order[k]!]!;
      if (offset < LARGE_OFFSET) {
        piece.writeUInt32BE(offset, (k - from) * 4);
      } else {
        piece.writeUInt32BE((LARGE_OFFSET | largeOffsets.length) >>> 0, (k - from) * 4);
        largeOffsets.push(offset);
      }
    }
    yield emit(piece);
  }
  if (largeOffsets.length > 0) {
    const piece = Buffer.allocUnsafe(largeOffsets.length * 8);
    largeOffsets.forEach((offset, i) => piece.writeBigUInt64BE(BigInt(offset), i * 8));
    yield emit(piece);
  }
  yield emit(Buffer.from(packChecksum));
  yield idxHash.digest();
}

/** The whole version 2 index in one buffer (see `idxV2Pieces`). */
export function writeIdxV2(table: PackObjectTable, packChecksum: Buffer, hashAlgorithm: 'sha1' | 'sha256' = 'sha1'): Buffer {
  return Buffer.concat([...idxV2Pieces(table, packChecksum, hashAlgorithm)]);
}
