// npm run bench:pack — our `gitgate pack index` vs `git index-pack --threads=1` vs isomorphic-git's
// indexPack on the same generated pack: wall time, ratios and peak RSS.
//
// The pack (at least 200 MB, deep delta chains) is generated once from a seed with the real git and
// cached under .cache/bench/. Options: --runs N (best of N for ours and git, default 3),
// --skip-isomorphic-git, --scale F (pack size factor, default 1).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSeededRepo, type SeededRepoOptions } from '../../testdata/seeded-repo.js';
import { git, hermeticGitEnv } from '../../testdata/git-cli.js';
import { measureProcess, type ProcessMeasurement } from './measure-process.js';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..', '..', '..');
const cli = join(projectRoot, 'dist', 'gateway', 'cli.js');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'skip-isomorphic-git': { type: 'boolean', default: false },
    scale: { type: 'string', default: '1' },
  },
});
const runs = Math.max(1, Number(values.runs));
const scale = Number(values.scale);

function repoOptions(): SeededRepoOptions {
  const n = Math.round(17000 * scale);
  return {
    seed: 496,
    commits: n,
    initialFiles: n,
    filesEditedPerCommit: 12,
    fileLines: [40, 600],
    linesChangedPerEdit: [1, 25],
    mergeEvery: 50,
    renameEvery: 40,
    binaryEvery: 60,
    addFileEvery: 3,
    largeBlobBytes: 2_000_000,
    tagEvery: 500,
  };
}

async function benchPack(): Promise<string> {
  const cacheDir = join(projectRoot, '.cache', 'bench', `pack-seed496-scale${scale}`);
  const packPath = join(cacheDir, 'bench.pack');
  if (existsSync(packPath)) return packPath;
  mkdirSync(cacheDir, { recursive: true });
  const repo = join(cacheDir, 'repo.git');
  rmSync(repo, { recursive: true, force: true });
  const started = performance.now();
  process.stdout.write(`generating the benchmark repository (once; cached in ${cacheDir}) ...\n`);
  await createSeededRepo(repo, repoOptions());
  process.stdout.write(`  repository written in ${((performance.now() - started) / 1000).toFixed(0)} s; repacking with deltas (depth 50, window 10) ...\n`);
  git(['repack', '-a', '-d', '-f', '-q', '--depth=50', '--window=10', '--threads=2'], { cwd: repo, env: hermeticGitEnv() });
  const packDir = join(repo, 'objects', 'pack');
  const pack = readdirSync(packDir).find((f) => f.endsWith('.pack'))!;
  copyFileSync(join(packDir, pack), `${packPath}.tmp`);
  renameSync(`${packPath}.tmp`, packPath);
  rmSync(repo, { recursive: true, force: true });
  process.stdout.write(`  pack ready after ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  return packPath;
}

function best(measurements: ProcessMeasurement[]): ProcessMeasurement {
  return measurements.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
}

function check(m: ProcessMeasurement, what: string): ProcessMeasurement {
  if (m.exitCode !== 0) throw new Error(`${what} failed (exit ${m.exitCode}): ${m.stderr.trim()}`);
  return m;
}

const mib = (bytes: number) => (bytes / (1024 * 1024)).toFixed(0);

async function main(): Promise<void> {
  if (!existsSync(cli)) throw new Error(`build first: ${cli} is missing (npm run build)`);
  const packPath = await benchPack();
  const packBytes = statSync(packPath).size;
  const work = mkdtempSync(join(tmpdir(), 'gitgate-bench-pack-'));
  const gitVersion = git(['--version'], { cwd: work }).toString().trim();
  process.stdout.write(`\npack: ${packPath}\n  ${mib(packBytes)} MiB; ${gitVersion}; node ${process.version}; best of ${runs} runs\n`);

  const ours: ProcessMeasurement[] = [];
  const theirs: ProcessMeasurement[] = [];
  for (let run = 0; run < runs; run++) {
    ours.push(check(await measureProcess('node', [cli, 'pack', 'index', packPath, '--output', join(work, 'ours.idx'), '--json']), 'gitgate pack index'));
    theirs.push(check(await measureProcess('git', ['index-pack', '--threads=1', '-o', join(work, 'git.idx'), packPath], { env: hermeticGitEnv() }), 'git index-pack'));
  }
  const summary = JSON.parse(best(ours).stdout) as { objectCount: number; deltaCount: number; maxDepth: number; baseCache: { hits: number; misses: number } };
  const sameIdx = readFileSync(join(work, 'ours.idx')).equals(readFileSync(join(work, 'git.idx')));
  process.stdout.write(
    `  ${summary.objectCount} objects, ${summary.deltaCount} deltas, max chain ${summary.maxDepth}; ` +
      `base cache hits ${summary.baseCache.hits}, misses ${summary.baseCache.misses}\n` +
      `  our idx ${sameIdx ? 'is byte-identical to' : 'DIFFERS FROM'} git's\n\n`,
  );

  const rows: [string, ProcessMeasurement][] = [
    ['gitgate pack index', best(ours)],
    ['git index-pack --threads=1', best(theirs)],
  ];
  if (!values['skip-isomorphic-git']) {
    const gitdir = join(work, 'iso', '.git');
    mkdirSync(join(gitdir, 'objects', 'pack'), { recursive: true });
    const relative = join('.git', 'objects', 'pack', 'bench.pack');
    copyFileSync(packPath, join(work, 'iso', relative));
    process.stdout.write('running isomorphic-git indexPack (slow) ...\n');
    const iso = await measureProcess('node', ['--max-old-space-size=16384', join(here, 'isomorphic-git-index.js'), gitdir, relative]);
    rows.push(['isomorphic-git indexPack', check(iso, 'isomorphic-git indexPack')]);
  }

  const oursMs = best(ours).wallMs;
  process.stdout.write(`${'tool'.padEnd(30)} ${'wall s'.padStart(8)} ${'peak RSS MiB'.padStart(13)} ${'vs gitgate'.padStart(11)}\n`);
  for (const [name, m] of rows) {
    process.stdout.write(
      `${name.padEnd(30)} ${(m.wallMs / 1000).toFixed(2).padStart(8)} ${mib(m.peakRssBytes).padStart(13)} ${(m.wallMs / oursMs).toFixed(2).padStart(10)}x\n`,
    );
  }
  process.stdout.write(`\ngitgate is ${(best(theirs).wallMs / oursMs).toFixed(2)}x faster than git index-pack --threads=1`);
  const iso = rows.find(([name]) => name.startsWith('isomorphic'));
  if (iso) process.stdout.write(` and ${(iso[1].wallMs / oursMs).toFixed(2)}x faster than isomorphic-git`);
  process.stdout.write('\n');
  rmSync(work, { recursive: true, force: true });
  if (!sameIdx) process.exitCode = 1;
}

await main();
