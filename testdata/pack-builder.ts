import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

/** One entry for a hand-made pack; used to build malformed and edge-case packs in tests. */
export type HandMadeEntry =
  | { kind: 'commit' | 'tree' | 'blob' | 'tag'; content: Buffer; declaredSize?: number; rawData?: Buffer }
  | { kind: 'ofs-delta'; baseDistance: number | 'to-entry'; baseEntry?: number; delta: Buffer; declaredSize?: number }
  | { kind: 'ref-delta'; baseId: Buffer; delta: Buffer; declaredSize?: number };

const KIND_CODES = { commit: 1, tree: 2, blob: 3, tag: 4, 'ofs-delta': 6, 'ref-delta': 7 } as const;

export function entryHeader(kindCode: number, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (kindCode << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

export function ofsDistance(distance: number): Buffer {
  const bytes = [distance & 0x7f];
  let rest = Math.floor(distance / 128);
  while (rest > 0) {
    rest -= 1;
    bytes.unshift(0x80 | (rest & 0x7f));
    rest = Math.floor(rest / 128);
  }
  return Buffer.from(bytes);
}

function sizeVarint(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

/** Delta instructions: copy ranges of the base, or insert literal bytes. */
export type DeltaOp = { copy: [offset: number, size: number] } | { insert: Buffer };

export function makeDelta(baseSize: number, resultSize: number, ops: DeltaOp[]): Buffer {
  const bytes = [...sizeVarint(baseSize), ...sizeVarint(resultSize)];
  for (const op of ops) {
    if ('insert' in op) {
      bytes.push(op.insert.length, ...op.insert);
      continue;
    }
    const [offset, size] = op.copy;
    let cmd = 0x80;
    const args: number[] = [];
    for (let i = 0; i < 4; i++) {
      const b = (offset >>> (8 * i)) & 0xff;
      if (b) {
        cmd |= 1 << i;
        args.push(b);
      }
    }
    for (let i = 0; i < 3; i++) {
      const b = (size >>> (8 * i)) & 0xff;
      if (b) {
        cmd |= 0x10 << i;
        args.push(b);
      }
    }
    bytes.push(cmd, ...args);
  }
  return Buffer.from(bytes);
}

/** Builds a pack (v2 unless told) from entries, with a correct trailer unless told otherwise. */
export function buildPack(
  entries: HandMadeEntry[],
  options: { version?: number; declaredCount?: number; corruptTrailer?: boolean } = {},
): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(options.version ?? 2, 4);
  header.writeUInt32BE(options.declaredCount ?? entries.length, 8);
  parts.push(header);
  let offset = 12;
  const offsets: number[] = [];
  for (const entry of entries) {
    offsets.push(offset);
    let bytes: Buffer;
    if (entry.kind === 'ofs-delta') {
      const distance = entry.baseDistance === 'to-entry' ? offset - offsets[entry.baseEntry!]! : entry.baseDistance;
      bytes = Buffer.concat([
        entryHeader(6, entry.declaredSize ?? entry.delta.length),
        ofsDistance(distance),
        deflateSync(entry.delta),
      ]);
    } else if (entry.kind === 'ref-delta') {
      bytes = Buffer.concat([entryHeader(7, entry.declaredSize ?? entry.delta.length), entry.baseId, deflateSync(entry.delta)]);
    } else {
      bytes = Buffer.concat([
        entryHeader(KIND_CODES[entry.kind], entry.declaredSize ?? entry.content.length),
        entry.rawData ?? deflateSync(entry.content),
      ]);
    }
    parts.push(bytes);
    offset += bytes.length;
  }
  const body = Buffer.concat(parts);
  const trailer = createHash('sha1').update(body).digest();
  if (options.corruptTrailer) trailer[0]! ^= 0xff;
  return Buffer.concat([body, trailer]);
}

/** Replaces a pack's trailer with the correct checksum of its (possibly edited) body. */
export function resealPack(pack: Buffer): Buffer {
  const body = pack.subarray(0, pack.length - 20);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}
