export { parseCommit, type GitCommit, type CommitSignature, type CommitExtraHeader } from './commit.js';
export { parseTree, checkTree, type TreeEntry, type TreeEntryKind, type TreeParseOptions } from './tree.js';
export { parseTag, type GitTag } from './tag.js';
export type { GitIdentity } from './identity.js';
export type { HashLength } from './object-id-hex.js';
