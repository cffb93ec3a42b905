import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PolicyError } from './errors.js';

/** The files of a policy directory that make up a bundle: Rego modules (no tests) and data files. */
export interface PolicySourceFile {
  /** Path relative to the policy directory, with `/` separators. */
  path: string;
  kind: 'rego' | 'data';
}

const DATA_EXTENSIONS = ['.json', '.yaml', '.yml'];

export function isRegoTestFile(path: string): boolean {
  return path.endsWith('_test.rego');
}

function classify(name: string): PolicySourceFile['kind'] | undefined {
  if (name.endsWith('.rego')) return isRegoTestFile(name) ? undefined : 'rego';
  return DATA_EXTENSIONS.some((ext) => name.endsWith(ext)) ? 'data' : undefined;
}

/** Lists the bundle inputs of a policy directory, sorted; hidden entries are skipped (as `opa build --ignore '.*'`). */
export async function listPolicySourceFiles(dir: string): Promise<PolicySourceFile[]> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new PolicyError('POLICY_SOURCE_NOT_FOUND', `policy directory '${dir}' does not exist or is not a directory`);
  }
  const files: PolicySourceFile[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        const kind = classify(entry.name);
        if (kind) files.push({ path: relative(dir, full).split(sep).join('/'), kind });
      }
    }
  };
  await walk(dir);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * The revision of a policy directory: sha256 over every bundle input's path and content, so the
 * same policies always give the same revision and any change gives a new one.
 */
export async function policyDirectoryRevision(dir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await listPolicySourceFiles(dir)) {
    const content = await readFile(join(dir, file.path));
    hash.update(`${file.path}\0${createHash('sha256').update(content).digest('hex')}\n`);
  }
  return hash.digest('hex');
}
