import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectType } from '../pack-parser/pack-object-table.js';
import { git, hermeticGitEnv } from './git-cli.js';

export interface PackFixtureOptions {
  /** Revisions for `git pack-objects --revs`, one per line: e.g. ['--all'] or ['main', '^main~5']. */
  revs: string[];
  thin?: boolean;
  /** OFS_DELTA (true, git's default for fetches and pushes) or REF_DELTA (false). */
  deltaBaseOffset?: boolean;
  depth?: number;
  window?: number;
}

/** Makes a pack with the real `git pack-objects` and returns its bytes. */
export function makePackWithGit(repo: string, options: PackFixtureOptions): Buffer {
  const args = ['pack-objects', '--revs', '--stdout', '-q'];
  if (options.thin) args.push('--thin');
  if (options.deltaBaseOffset !== false) args.push('--delta-base-offset');
  if (options.depth !== undefined) args.push(`--depth=${options.depth}`);
  if (options.window !== undefined) args.push(`--window=${options.window}`);
  // `--all` is an option of pack-objects itself; every other revision goes through stdin.
  if (options.revs.includes('--all')) args.push('--all');
  const stdinRevs = options.revs.filter((rev) => rev !== '--all');
  return git(args, { cwd: repo, input: stdinRevs.map((rev) => `${rev}\n`).join('') });
}

/** What the real git says of a pack: the idx `git index-pack` writes and `git verify-pack -v` lines. */
export interface GitPackReport {
  idx: Buffer;
  objects: GitVerifiedObject[];
}

export interface GitVerifiedObject {
  id: string;
  type: string;
  size: number;
  packedLength: number;
  offset: number;
  depth: number;
  baseId: string | undefined;
}

/** Runs `git index-pack` and `git verify-pack -v` on a (non-thin) pack. */
export function indexPackWithGit(pack: Buffer, hashAlgorithm: 'sha1' | 'sha256' = 'sha1'): GitPackReport {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-index-pack-'));
  const env = hermeticGitEnv();
  git(['init', '--quiet', '--bare', `--object-format=${hashAlgorithm}`, dir], { cwd: dir, env });
  const packPath = join(dir, 'fixture.pack');
  writeFileSync(packPath, pack);
  git(['index-pack', '--threads=1', '-o', join(dir, 'fixture.idx'), packPath], { cwd: dir, env });
  const verify = git(['verify-pack', '-v', join(dir, 'fixture.idx')], { cwd: dir, env }).toString();
  const objects: GitVerifiedObject[] = [];
  for (const line of verify.split('\n')) {
    const m = /^([0-9a-f]{40,64}) (\w+)\s+(\d+) (\d+) (\d+)(?: (\d+) ([0-9a-f]{40,64}))?$/.exec(line);
    if (!m) continue;
    objects.push({
      id: m[1]!,
      type: m[2]!,
      size: Number(m[3]),
      packedLength: Number(m[4]),
      offset: Number(m[5]),
      depth: m[6] ? Number(m[6]) : 0,
      baseId: m[7],
    });
  }
  return { idx: readFileSync(join(dir, 'fixture.idx')), objects };
}

/** Ids of every object in a repository (for checking what a thin pack plus its bases hold). */
export function allObjectIds(repo: string): Set<string> {
  const out = git(['cat-file', '--batch-all-objects', '--batch-check=%(objectname)'], { cwd: repo }).toString();
  return new Set(out.split('\n').filter(Boolean));
}

/**
 * Every object of a repository with its type and content, read by one `git cat-file --batch`
 * run: the base source of thin-pack tests in libraries that must not import the gateway's
 * long-running cat-file reader.
 */
export function allObjectsWithGit(repo: string): Map<string, { type: ObjectType; content: Buffer }> {
  const out = git(['cat-file', '--batch-all-objects', '--batch'], { cwd: repo });
  const objects = new Map<string, { type: ObjectType; content: Buffer }>();
  for (let pos = 0; pos < out.length; ) {
    const newline = out.indexOf(0x0a, pos);
    const [id, type, size] = out.subarray(pos, newline).toString().split(' ');
    const end = newline + 1 + Number(size);
    objects.set(id!, { type: type as ObjectType, content: out.subarray(newline + 1, end) });
    pos = end + 1; // the newline after each object's content
  }
  return objects;
}

/** `git index-pack --fix-thin`: the objects a thin pack needs from the repository, completed. */
export function fixThinPackWithGit(repo: string, thinPack: Buffer): GitPackReport {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-fix-thin-'));
  git(['index-pack', '--threads=1', '--fix-thin', '--stdin', join(dir, 'fixed.pack')], { cwd: repo, input: thinPack });
  const idxName = readdirSync(dir).find((f) => f === 'fixed.idx');
  if (!idxName) throw new Error('git index-pack --fix-thin wrote no idx');
  const verify = git(['verify-pack', '-v', join(dir, 'fixed.idx')], { cwd: repo }).toString();
  const objects: GitVerifiedObject[] = [];
  for (const line of verify.split('\n')) {
    const m = /^([0-9a-f]{40,64}) (\w+)\s+(\d+) (\d+) (\d+)/.exec(line);
    if (m) objects.push({ id: m[1]!, type: m[2]!, size: Number(m[3]), packedLength: Number(m[4]), offset: Number(m[5]), depth: 0, baseId: undefined });
  }
  return { idx: readFileSync(join(dir, idxName)), objects };
}
