import { PackParserError } from './errors.js';

/** Reads the two size varints at the start of delta data (base size, result size). */
export function readDeltaSizes(delta: Buffer): DeltaSizes {
  let pos = 0;
  const readSize = (): number => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      if (pos >= delta.length) throw new PackParserError('PACK_DELTA_CORRUPT', 'delta data ends inside its size header');
      byte = delta[pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 53) throw new PackParserError('PACK_DELTA_CORRUPT', 'delta size header is too long');
    } while (byte & 0x80);
    return value;
  };
  const baseSize = readSize();
  const resultSize = readSize();
  return { baseSize, resultSize, opsStart: pos };
}

export interface DeltaSizes {
  baseSize: number;
  resultSize: number;
  opsStart: number;
}

/** Applies git delta `delta` to `base` and returns the result in a new buffer. */
export function applyDelta(base: Buffer, delta: Buffer, maxResultSize = Infinity): Buffer {
  const sizes = readDeltaSizes(delta);
  checkResultSize(sizes, maxResultSize);
  const out = Buffer.allocUnsafe(sizes.resultSize);
  applyDeltaInto(base, delta, sizes, out, 0);
  return out;
}

export function checkResultSize(sizes: DeltaSizes, maxResultSize: number): void {
  if (sizes.resultSize > maxResultSize) {
    throw new PackParserError(
      'PACK_LIMIT_OBJECT_SIZE',
      `delta result of ${sizes.resultSize} bytes exceeds the object size limit of ${maxResultSize}`,
    );
  }
}

/**
 * Applies `delta` (whose sizes `readDeltaSizes` read) to `base`, writing the result into `out`
 * from `outStart`; `out` must have room for the result size.
 */
export function applyDeltaInto(base: Buffer, delta: Buffer, sizes: DeltaSizes, out: Buffer, outStart: number): void {
  const { baseSize, resultSize, opsStart } = sizes;
  const reserve = outStart;
  if (baseSize !== base.length) {
    throw new PackParserError(
      'PACK_DELTA_CORRUPT',
      `delta expects a base of ${baseSize} bytes but the base object has ${base.length}`,
    );
  }
  const end = reserve + resultSize;
  let outPos = reserve;
  // When base and result live in the same memory (the decoder's arena), copyWithin moves bytes
  // without creating a view per copy: about twice as fast as Buffer#copy for typical sizes.
  const shared = base.buffer === out.buffer ? new Uint8Array(out.buffer) : undefined;
  const baseAt = base.byteOffset;
  const outAt = out.byteOffset;
  let pos = opsStart;
  const deltaLength = delta.length;
  while (pos < deltaLength) {
    const cmd = delta[pos++]!;
    if (cmd & 0x80) {
      // Copy from base: which offset/size bytes follow is told by the low 7 bits.
      let offset = 0;
      let size = 0;
      if (cmd & 0x01) offset = delta[pos++]!;
      if (cmd & 0x02) offset |= delta[pos++]! << 8;
      if (cmd & 0x04) offset |= delta[pos++]! << 16;
      if (cmd & 0x08) offset = (offset | (delta[pos++]! << 24)) >>> 0;
      if (cmd & 0x10) size = delta[pos++]!;
      if (cmd & 0x20) size |= delta[pos++]! << 8;
      if (cmd & 0x40) size |= delta[pos++]! << 16;
      if (size === 0) size = 0x10000;
      if (pos > deltaLength) throw new PackParserError('PACK_DELTA_CORRUPT', 'delta copy instruction is cut short');
      if (offset + size > baseSize || outPos + size > end) {
        throw new PackParserError(
          'PACK_DELTA_OUT_OF_RANGE',
          `delta copies ${size} bytes from base offset ${offset}, outside the base (${baseSize} bytes) or the result (${resultSize} bytes)`,
        );
      }
      if (size <= 16) {
        for (let i = 0; i < size; i++) out[outPos + i] = base[offset + i]!;
      } else if (shared) {
        shared.copyWithin(outAt + outPos, baseAt + offset, baseAt + offset + size);
      } else {
        base.copy(out, outPos, offset, offset + size);
      }
      outPos += size;
    } else if (cmd !== 0) {
      // Insert the next `cmd` bytes of the delta itself.
      if (pos + cmd > deltaLength || outPos + cmd > end) {
        throw new PackParserError(
          'PACK_DELTA_OUT_OF_RANGE',
          `delta inserts ${cmd} bytes beyond the end of the delta data or of the result`,
        );
      }
      for (let i = 0; i < cmd; i++) out[outPos + i] = delta[pos + i]!;
      pos += cmd;
      outPos += cmd;
    } else {
      throw new PackParserError('PACK_DELTA_CORRUPT', 'delta contains the reserved instruction 0');
    }
  }
  if (outPos !== end) {
    throw new PackParserError(
      'PACK_DELTA_CORRUPT',
      `delta produced ${outPos - reserve} bytes but announced ${resultSize}`,
    );
  }
}
