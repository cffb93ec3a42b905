import { createHash } from 'node:crypto';
import type { ObjectType } from './pack-object-table.js';

export type HashAlgorithm = 'sha1' | 'sha256';

export function hashLengthOf(algorithm: HashAlgorithm): 20 | 32 {
  return algorithm === 'sha1' ? 20 : 32;
}

/** The object id git computes: hash of `"<type> <size>\0"` followed by the content. */
export function objectId(algorithm: HashAlgorithm, type: ObjectType, content: Uint8Array): Buffer {
  return createHash(algorithm).update(`${type} ${content.length}\0`, 'latin1').update(content).digest();
}

const HEX = /^[0-9a-f]+$/;

export function isObjectIdHex(value: string, algorithm: HashAlgorithm): boolean {
  return value.length === hashLengthOf(algorithm) * 2 && HEX.test(value);
}
