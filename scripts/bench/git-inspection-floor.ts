// What git's own tools take to do the least an inspecting gateway must do with a push before it
// may forward it: index its pack (thin bases from the upstream's objects) and diff every pushed
// commit against its first parent with the added lines (what a secret scan reads). A floor for
// bench:proxy's large push: what is left of the 1.3x target for the gateway's work compares with it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface InspectionFloor {
  packBytes: number;
  /** `git index-pack --threads=1 --fix-thin` of the push's pack into a repository borrowing the upstream's objects. */
  indexPackMs: number;
  /** `git diff-tree -r -p --stdin` of the pushed commits. */
  diffTreeMs: number;
}

function runGit(args: string[], cwd: string, env: NodeJS.ProcessEnv, input?: Buffer | string): Buffer {
  const result = spawnSync('git', args, { cwd, env, input, maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr.toString()}`);
  return result.stdout;
}

function medianOf(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}

/**
 * Medians over `runs` of git's own index and diff of the commits of `branch` not in `base` (both
 * refs of the `client` repository), as git would push them to `upstreamGitDir`. The branch must
 * not be in the upstream yet: index-pack compares each object it already has.
 */
export function gitInspectionFloor(options: { client: string; branch: string; base: string; upstreamGitDir: string; scratch: string; env: NodeJS.ProcessEnv; runs: number }): InspectionFloor {
  const { client, env } = options;
  const pack = runGit(['pack-objects', '--revs', '--thin', '--stdout', '-q', '--delta-base-offset'], client, env, `${options.branch}\n^${options.base}\n`);
  const commits = runGit(['rev-list', options.branch, `^${options.base}`], client, env);
  const indexPack: number[] = [];
  const diffTree: number[] = [];
  mkdirSync(options.scratch, { recursive: true });
  for (let run = 0; run < options.runs; run++) {
    const repository = join(options.scratch, `floor-${run}.git`);
    runGit(['init', '-q', '--bare', repository], options.scratch, env);
    writeFileSync(join(repository, 'objects', 'info', 'alternates'), `${join(options.upstreamGitDir, 'objects')}\n`);
    let started = performance.now();
    runGit(['index-pack', '--threads=1', '--stdin', '--fix-thin', join(repository, 'objects', 'pack', 'push.pack')], repository, env, pack);
    indexPack.push(performance.now() - started);
    started = performance.now();
    runGit(['diff-tree', '-r', '-p', '--stdin'], client, env, commits);
    diffTree.push(performance.now() - started);
  }
  return { packBytes: pack.length, indexPackMs: medianOf(indexPack), diffTreeMs: medianOf(diffTree) };
}
