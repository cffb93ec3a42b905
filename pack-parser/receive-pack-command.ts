import { isUtf8 } from 'node:buffer';
import { PackParserError } from './errors.js';
import { hashLengthOf, type HashAlgorithm } from './object-id.js';
import { isLowerHex } from './hex.js';
import { pushedRefNameProblem } from './ref-name.js';

export type RefUpdateOperation = 'create' | 'update' | 'delete';

/** One `old new ref` line of a receive-pack request. Ids are lowercase hex. */
export interface ReceivePackCommand {
  readonly oldId: string;
  readonly newId: string;
  readonly ref: string;
  /** `create` when the old id is the zero id, `delete` when the new id is, else `update`. */
  readonly operation: RefUpdateOperation;
}

const SPACE = 0x20;

function isZeroId(hex: string): boolean {
  for (let i = 0; i < hex.length; i++) if (hex.charCodeAt(i) !== 0x30) return false;
  return true;
}

/**
 * Parses `<old-id> SP <new-id> SP <ref>` (no trailing LF, no capabilities). The ref must be one
 * receive-pack would accept (`refs/...` by git's `check-ref-format` rules) and valid UTF-8.
 * `offset` is where the line starts in the request, for error messages.
 */
export function parseReceivePackCommand(line: Buffer, algorithm: HashAlgorithm, offset: number): ReceivePackCommand {
  const hexLength = hashLengthOf(algorithm) * 2;
  const refStart = hexLength * 2 + 2;
  if (line[hexLength] !== SPACE || line[hexLength * 2 + 1] !== SPACE || line.length <= refStart) {
    throw new PackParserError(
      'RECEIVE_PACK_BAD_COMMAND',
      `expected "<old-id> <new-id> <ref>" with ${algorithm} ids at offset ${offset}, got ${quoteLine(line)}`,
      { offset },
    );
  }
  if (!isLowerHex(line, 0, hexLength) || !isLowerHex(line, hexLength + 1, hexLength)) {
    throw new PackParserError(
      'RECEIVE_PACK_BAD_OBJECT_ID',
      `command at offset ${offset} has an object id that is not ${hexLength} lowercase hex digits: ${quoteLine(line)}`,
      { offset },
    );
  }
  const refBytes = line.subarray(refStart);
  const problem = pushedRefNameProblem(refBytes);
  if (problem !== undefined || !isUtf8(refBytes)) {
    throw new PackParserError(
      'RECEIVE_PACK_BAD_REF_NAME',
      `ref name ${quoteLine(refBytes)} at offset ${offset} ${problem ?? 'is not valid UTF-8'}; push to a valid name such as refs/heads/<branch>`,
      { offset },
    );
  }
  const oldId = line.toString('latin1', 0, hexLength);
  const newId = line.toString('latin1', hexLength + 1, hexLength * 2 + 1);
  const operation: RefUpdateOperation = isZeroId(newId) ? 'delete' : isZeroId(oldId) ? 'create' : 'update';
  return { oldId, newId, ref: refBytes.toString('utf8'), operation };
}

/** A line for an error message: JSON-quoted (control bytes escaped), cut at 200 characters. */
export function quoteLine(line: Uint8Array): string {
  const text = Buffer.from(line.buffer, line.byteOffset, Math.min(line.length, 200)).toString('utf8');
  return JSON.stringify(text) + (line.length > 200 ? '...' : '');
}
