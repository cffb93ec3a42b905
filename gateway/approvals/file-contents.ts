import type { RefUpdate } from '../../rego/index.js';
import type { ObjectReader } from '../push/object-reader.js';
import type { SecretMasker } from '../secrets/index.js';
import type { ApprovalFileContent } from './approval-types.js';

export interface FileContentLimits {
  /** Larger files are listed as too large. */
  maxFileBytes: number;
  /** Text kept across the whole request. */
  maxTotalBytes: number;
  maxFiles: number;
}

export const DEFAULT_FILE_CONTENT_LIMITS: FileContentLimits = { maxFileBytes: 256 * 1024, maxTotalBytes: 4 * 1024 * 1024, maxFiles: 300 };

/** The blob id at `path` in a tree, walking it through the reader; undefined when absent. */
async function blobAt(reader: ObjectReader, treeId: string, path: string): Promise<string | undefined> {
  let tree = treeId;
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i++) {
    const entry = (await reader.tree(tree)).find((e) => e.name.toString('utf8') === parts[i]);
    if (entry === undefined) return undefined;
    if (i === parts.length - 1) return entry.kind === 'tree' ? undefined : entry.id;
    if (entry.kind !== 'tree') return undefined;
    tree = entry.id;
  }
  return undefined;
}

/** The tree the change is compared with: the old tip, or for a new ref the parent of its oldest pushed commit. */
async function baseTreeOf(update: RefUpdate, reader: ObjectReader): Promise<string | undefined> {
  const baseCommit = update.operation === 'update' ? update.old : update.commits[update.commits.length - 1]?.parents[0];
  if (baseCommit === undefined) return undefined;
  return (await reader.commit(baseCommit))?.tree;
}

/**
 * The text before and after the push of every changed text file (secrets masked), for the
 * approver's diff. Binary, oversized and unavailable files are listed without content.
 */
export async function collectFileContents(
  updates: readonly RefUpdate[],
  reader: ObjectReader,
  masker: SecretMasker,
  limits: FileContentLimits = DEFAULT_FILE_CONTENT_LIMITS,
): Promise<ApprovalFileContent[]> {
  const out: ApprovalFileContent[] = [];
  let total = 0;
  const text = async (id: string | undefined): Promise<string | undefined | 'too-large' | 'binary'> => {
    if (id === undefined) return undefined;
    const blob = await reader.blob(id).catch(() => undefined);
    // The reader keeps no content of binary blobs: the flag says what they are.
    if (blob?.binary === true) return 'binary';
    if (blob === undefined || blob.content === undefined) return blob !== undefined && blob.size > limits.maxFileBytes ? 'too-large' : undefined;
    if (blob.size > limits.maxFileBytes || total + blob.size > limits.maxTotalBytes) return 'too-large';
    total += blob.size;
    return masker.maskString(blob.content.toString('utf8'));
  };
  for (const update of updates) {
    if (update.operation === 'delete') continue;
    const baseTree = await baseTreeOf(update, reader).catch(() => undefined);
    for (const file of update.files) {
      if (out.length >= limits.maxFiles) return out;
      const entry: ApprovalFileContent = { ref: update.ref, path: file.path, status: file.status };
      if (file.binary) {
        out.push({ ...entry, omitted: 'binary' });
        continue;
      }
      const oldId = file.status === 'added' ? undefined : file.status === 'deleted' ? file.blob : baseTree === undefined ? undefined : await blobAt(reader, baseTree, file.previous_path ?? file.path).catch(() => undefined);
      const newId = file.status === 'deleted' ? undefined : file.blob;
      const [before, after] = [await text(oldId), await text(newId)];
      const omitted = [before, after].find((v) => v === 'binary' || v === 'too-large') as 'binary' | 'too-large' | undefined;
      if (omitted !== undefined) out.push({ ...entry, omitted });
      else if ((newId !== undefined && after === undefined) || (oldId === undefined && file.status === 'modified')) out.push({ ...entry, omitted: 'unavailable' });
      else out.push({ ...entry, ...(before === undefined ? {} : { old_text: before }), ...(after === undefined ? {} : { new_text: after }) });
    }
  }
  return out;
}
