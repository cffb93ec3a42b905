import { PackParserError } from '../errors.js';
import type { ObjectType } from '../pack-object-table.js';
import { signatureFormatOf, signatureStart, type SignatureFormat } from '../signature-format.js';
import { parseIdentity, type GitIdentity } from './identity.js';
import { readObjectHeaders, type ObjectHeader } from './object-headers.js';
import { readObjectIdHex, type HashLength } from './object-id-hex.js';
import { decodeText } from './text-decoding.js';

export interface GitTag {
  /** Id of the tagged object. */
  readonly object: string;
  readonly type: ObjectType;
  /** The tag's name (`v1.0`), as written in the `tag` header. */
  readonly tag: string;
  /** Absent in tags made by very old git. */
  readonly tagger: GitIdentity | undefined;
  /** Headers after `tagger`, in order. */
  readonly extraHeaders: readonly { readonly name: string; readonly value: string }[];
  /** The message without the appended signature. */
  readonly message: string;
  /** The signature appended to the message (`git tag -s`), if any. */
  readonly signature: { readonly format: SignatureFormat; readonly armored: string } | undefined;
}

const OBJECT_TYPES: readonly string[] = ['commit', 'tree', 'blob', 'tag'];

/**
 * Parses a tag object's content (without the `tag <size>\0` header) with git fsck's rules:
 * `object`, `type`, `tag`, an optional `tagger`, other headers, a blank line and the message, whose
 * last armor line starts the signature. Malformed input throws `OBJECT_BAD_TAG`.
 */
export function parseTag(content: Buffer, hashLength: HashLength = 20): GitTag {
  const { headers, messageStart } = readObjectHeaders(content, 'OBJECT_BAD_TAG', 'tag');
  const fail = (problem: string, offset: number): never => {
    throw new PackParserError('OBJECT_BAD_TAG', `malformed tag: ${problem} at offset ${offset}`, { offset });
  };
  let index = 0;
  const required = (name: string): ObjectHeader => {
    const header = headers[index];
    if (header?.name !== name) return fail(`missing "${name}" header`, header?.offset ?? content.length);
    index++;
    return header;
  };
  const objectHeader = required('object');
  const object = readObjectIdHex(objectHeader.value, hashLength, 'OBJECT_BAD_TAG', 'tag object id', objectHeader.offset);
  const typeHeader = required('type');
  const type = typeHeader.value.toString('latin1');
  if (!OBJECT_TYPES.includes(type)) fail(`unknown object type ${JSON.stringify(type)}`, typeHeader.offset);
  const tagHeader = required('tag');
  if (tagHeader.value.length === 0) fail('empty tag name', tagHeader.offset);
  let tagger: GitIdentity | undefined;
  if (headers[index]?.name === 'tagger') {
    const header = headers[index++]!;
    tagger = parseIdentity(header.value, undefined, 'OBJECT_BAD_TAG', 'tagger', header.offset);
  }
  const extraHeaders = headers.slice(index).map((header) => {
    if (['object', 'type', 'tag', 'tagger'].includes(header.name)) fail(`"${header.name}" header out of place`, header.offset);
    return { name: header.name, value: header.value.toString('utf8') };
  });
  const signatureAt = signatureStart(content, messageStart);
  const format = signatureAt < content.length ? signatureFormatOf(content, signatureAt) : undefined;
  return {
    object,
    type: type as ObjectType,
    tag: decodeText(tagHeader.value, undefined),
    tagger,
    extraHeaders,
    message: decodeText(content.subarray(messageStart, signatureAt), undefined),
    signature: format === undefined ? undefined : { format, armored: content.toString('utf8', signatureAt) },
  };
}
