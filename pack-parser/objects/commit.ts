import { PackParserError } from '../errors.js';
import { signatureFormatOf, type SignatureFormat } from '../signature-format.js';
import { parseIdentity, type GitIdentity } from './identity.js';
import { readObjectHeaders, type ObjectHeader } from './object-headers.js';
import { readObjectIdHex, type HashLength } from './object-id-hex.js';
import { decodeText } from './text-decoding.js';

/** A signature header of a commit: `gpgsig` signs the SHA-1 form, `gpgsig-sha256` the SHA-256 form. */
export interface CommitSignature {
  readonly header: 'gpgsig' | 'gpgsig-sha256';
  /** From the armor line; `undefined` when git would not recognise it either. */
  readonly format: SignatureFormat | undefined;
  readonly armored: string;
}

/** A header after `committer`, kept in order (`encoding`, `gpgsig`, `mergetag` and unknown ones). */
export interface CommitExtraHeader {
  readonly name: string;
  /** The value, continuation lines joined with LF, decoded as UTF-8. */
  readonly value: string;
}

export interface GitCommit {
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: GitIdentity;
  readonly committer: GitIdentity;
  /** The `encoding` header: names and message are decoded from it (UTF-8 when absent). */
  readonly encoding: string | undefined;
  readonly signatures: readonly CommitSignature[];
  /** Tag objects embedded by merges of signed tags (`mergetag` headers), as text. */
  readonly mergetags: readonly string[];
  readonly extraHeaders: readonly CommitExtraHeader[];
  readonly message: string;
}

/**
 * Parses a commit object's content (without the `commit <size>\0` header) with git fsck's rules:
 * `tree`, then `parent` lines, then one `author` and one `committer`, then any other headers, a
 * blank line and the message (no NUL byte anywhere). Malformed input throws `OBJECT_BAD_COMMIT`.
 */
export function parseCommit(content: Buffer, hashLength: HashLength = 20): GitCommit {
  const { headers, messageStart } = readObjectHeaders(content, 'OBJECT_BAD_COMMIT', 'commit');
  const fail = (problem: string, offset: number): never => {
    throw new PackParserError('OBJECT_BAD_COMMIT', `malformed commit: ${problem} at offset ${offset}`, { offset });
  };
  const nul = content.indexOf(0, messageStart);
  if (nul >= 0) fail('NUL byte in the message', nul);
  let index = 0;
  const next = (name: string): ObjectHeader | undefined => (headers[index]?.name === name ? headers[index++] : undefined);
  const required = (name: string): ObjectHeader => {
    const header = next(name);
    if (header === undefined) return fail(`missing "${name}" header`, headers[index]?.offset ?? content.length);
    return header;
  };

  const tree = required('tree');
  const treeId = readObjectIdHex(tree.value, hashLength, 'OBJECT_BAD_COMMIT', 'commit tree id', tree.offset);
  const parents: string[] = [];
  for (let parent = next('parent'); parent !== undefined; parent = next('parent')) {
    parents.push(readObjectIdHex(parent.value, hashLength, 'OBJECT_BAD_COMMIT', 'commit parent id', parent.offset));
  }
  const authorHeader = required('author');
  if (headers[index]?.name === 'author') fail('more than one "author" header', headers[index]!.offset);
  const committerHeader = required('committer');

  const extraHeaders: CommitExtraHeader[] = [];
  const signatures: CommitSignature[] = [];
  const mergetags: string[] = [];
  let encoding: string | undefined;
  for (const header of headers.slice(index)) {
    const { name } = header;
    if (name === 'tree' || name === 'parent' || name === 'author' || name === 'committer') {
      fail(`"${name}" header out of place`, header.offset);
    }
    const value = header.value.toString('utf8');
    extraHeaders.push({ name, value });
    if (name === 'encoding') {
      if (encoding !== undefined) fail('more than one "encoding" header', header.offset);
      encoding = value;
    } else if (name === 'gpgsig' || name === 'gpgsig-sha256') {
      signatures.push({ header: name, format: signatureFormatOf(header.value), armored: value });
    } else if (name === 'mergetag') {
      mergetags.push(value);
    }
  }
  return {
    tree: treeId,
    parents,
    author: parseIdentity(authorHeader.value, encoding, 'OBJECT_BAD_COMMIT', 'commit author', authorHeader.offset),
    committer: parseIdentity(committerHeader.value, encoding, 'OBJECT_BAD_COMMIT', 'commit committer', committerHeader.offset),
    encoding,
    signatures,
    mergetags,
    extraHeaders,
    message: decodeText(content.subarray(messageStart), encoding),
  };
}
