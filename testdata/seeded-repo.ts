import { mkdirSync } from 'node:fs';
import { SeededRandom } from './seeded-random.js';
import { git, gitWithStdinStream, hermeticGitEnv } from './git-cli.js';

/** What a generated repository contains. Every count is per the whole history. */
export interface SeededRepoOptions {
  seed: number;
  /** Commits on main (merges and topic commits come in addition). */
  commits: number;
  /** Text files in the first commit. */
  initialFiles: number;
  /** Files edited by each commit. */
  filesEditedPerCommit: number;
  /** Lines of a new text file. */
  fileLines: [min: number, max: number];
  /** Lines changed in an edited file. */
  linesChangedPerEdit: [min: number, max: number];
  /** Every Nth commit is followed by a topic branch merged back with a merge commit. 0: never. */
  mergeEvery?: number;
  /** Every Nth commit also renames a file. 0: never. */
  renameEvery?: number;
  /** Every Nth commit also adds a binary file (random bytes). 0: never. */
  binaryEvery?: number;
  /** Every Nth commit also adds a new text file. 0: never. */
  addFileEvery?: number;
  /** Size of one large blob added in the first commit. 0: none. */
  largeBlobBytes?: number;
  /** Every Nth commit gets an annotated tag `v<N>`. 0: never. */
  tagEvery?: number;
}

const WORDS = [
  'alpha', 'bravo', 'config', 'delta', 'event', 'fetch', 'gate', 'handler', 'index', 'json', 'key',
  'ledger', 'merge', 'node', 'object', 'policy', 'query', 'remote', 'stream', 'token', 'update',
  'value', 'worker', 'xref', 'yield', 'zone', 'buffer', 'commit', 'decode', 'encode', 'filter',
];

function codeLine(random: SeededRandom): string {
  const a = random.pick(WORDS);
  const b = random.pick(WORDS);
  switch (random.int(0, 5)) {
    case 0:
      return `export function ${a}${random.int(0, 999)}(${b}: number): number {`;
    case 1:
      return `  const ${a}_${b} = ${random.int(0, 100000)} * ${b}.length + ${random.int(0, 99)};`;
    case 2:
      return `  if (${a}.${b}(${random.int(0, 50)})) return ${random.pick(WORDS)}_${random.int(0, 9)};`;
    case 3:
      return `  // ${a} ${b} ${random.pick(WORDS)} ${random.pick(WORDS)} ${random.int(0, 1e6)}`;
    case 4:
      return `  ${a}.${b} = await fetch${random.pick(WORDS)}("${b}/${random.int(0, 1000)}");`;
    default:
      return '}';
  }
}

function textFile(random: SeededRandom, [min, max]: [number, number]): string[] {
  const lines: string[] = [];
  const count = random.int(min, max);
  for (let i = 0; i < count; i++) lines.push(codeLine(random));
  return lines;
}

function editLines(random: SeededRandom, lines: string[], [min, max]: [number, number]): string[] {
  const out = lines.slice();
  const changes = random.int(min, max);
  for (let c = 0; c < changes; c++) {
    const at = random.int(0, Math.max(0, out.length - 1));
    const action = random.int(0, 3);
    if (action === 0 && out.length > 1) out.splice(at, 1);
    else if (action === 1) out.splice(at, 0, codeLine(random));
    else out[at] = codeLine(random);
  }
  return out;
}

function data(content: Buffer | string): string | Buffer {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return Buffer.concat([Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n')]);
}

/**
 * Builds a bare repository with the real git (`git fast-import`) from a seed: a long history of
 * edited text files (so that deltas and chains form), merges, renames, binary and large blobs and
 * annotated tags. Same options and seed, same repository, same object ids.
 */
export async function createSeededRepo(directory: string, options: SeededRepoOptions): Promise<void> {
  const random = new SeededRandom(options.seed);
  const env = hermeticGitEnv();
  mkdirSync(directory, { recursive: true });
  git(['init', '--quiet', '--bare', '--initial-branch=main', directory], { cwd: directory, env });

  /** Text file contents, lines joined (an array of line strings per file costs ten times more memory). */
  const files = new Map<string, string>();
  /** Text file paths, for picking one at random without copying the map's keys. */
  const paths: string[] = [];
  const pathIndex = new Map<string, number>();
  let mark = 0;
  let time = 1700000000;
  let fileCounter = 0;
  const newPath = (ext: string) => {
    fileCounter++;
    return `src/${random.pick(WORDS)}/${random.pick(WORDS)}-${fileCounter}.${ext}`;
  };

  await gitWithStdinStream(['fast-import', '--quiet', '--done'], {
    cwd: directory,
    env,
    writeInput: async (stdin) => {
      let pending: (string | Buffer)[] = [];
      let pendingBytes = 0;
      const emit = (part: string | Buffer) => {
        pending.push(part);
        pendingBytes += part.length;
      };
      const flush = async () => {
        if (pending.length === 0) return;
        const chunk = Buffer.concat(pending.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
        pending = [];
        pendingBytes = 0;
        if (!stdin.write(chunk)) await new Promise<void>((resolve) => stdin.once('drain', () => resolve()));
      };
      const blob = (content: Buffer | string): number => {
        emit(`blob\nmark :${++mark}\n`);
        emit(data(content));
        return mark;
      };
      const commit = (branch: string, message: string, parents: number[], changes: string[]): number => {
        const commitMark = ++mark;
        time += 60;
        emit(`commit refs/heads/${branch}\nmark :${commitMark}\n`);
        emit(`author Fixture Author <author@example.com> ${time} +0100\n`);
        emit(`committer Fixture Committer <committer@example.com> ${time} +0000\n`);
        emit(data(message));
        if (parents[0] !== undefined) emit(`from :${parents[0]}\n`);
        for (const parent of parents.slice(1)) emit(`merge :${parent}\n`);
        for (const change of changes) emit(change);
        return commitMark;
      };
      const writeFile = (path: string, lines: string[]) => `M 100644 :${blob(lines.join('\n') + '\n')} ${path}\n`;
      const editSome = (count: number, exclude: Set<string> = new Set()): { changes: string[]; touched: Set<string> } => {
        const touched = new Set<string>();
        const changes: string[] = [];
        for (let attempts = 0; touched.size < count && attempts < count * 4 && paths.length > 0; attempts++) {
          const path = paths.at(random.int(0, paths.length - 1))!;
          if (exclude.has(path) || touched.has(path)) continue;
          const edited = editLines(random, files.get(path)!.split('\n'), options.linesChangedPerEdit);
          files.set(path, edited.join('\n'));
          touched.add(path);
          changes.push(writeFile(path, edited));
        }
        return { changes, touched };
      };
      const addPath = (path: string, lines: string[]) => {
        files.set(path, lines.join('\n'));
        pathIndex.set(path, paths.length);
        paths.push(path);
      };
      const removePath = (path: string) => {
        const at = pathIndex.get(path)!;
        const last = paths.pop()!;
        if (last !== path) {
          paths[at] = last;
          pathIndex.set(last, at);
        }
        pathIndex.delete(path);
        files.delete(path);
      };

      // First commit.
      const initial: string[] = [];
      for (let f = 0; f < options.initialFiles; f++) {
        const path = newPath('ts');
        const lines = textFile(random, options.fileLines);
        addPath(path, lines);
        initial.push(writeFile(path, lines));
      }
      if (options.largeBlobBytes) {
        initial.push(`M 100644 :${blob(random.bytes(options.largeBlobBytes))} assets/large.bin\n`);
      }
      initial.push(`M 100644 :${blob('# fixture repository\n')} README.md\n`);
      let head = commit('main', 'Initial commit\n', [], initial);
      await flush();

      for (let n = 1; n <= options.commits; n++) {
        const { changes } = editSome(options.filesEditedPerCommit);
        if (options.renameEvery && n % options.renameEvery === 0 && paths.length > 1) {
          const from = paths[random.int(0, paths.length - 1)]!;
          const to = newPath('ts');
          const lines = files.get(from)!.split('\n');
          removePath(from);
          addPath(to, lines);
          changes.push(`D ${from}\n`, writeFile(to, lines));
        }
        if (options.addFileEvery && n % options.addFileEvery === 0) {
          const path = newPath('ts');
          const lines = textFile(random, options.fileLines);
          addPath(path, lines);
          changes.push(writeFile(path, lines));
        }
        if (options.binaryEvery && n % options.binaryEvery === 0) {
          const path = `assets/blob-${n}.bin`;
          changes.push(`M 100644 :${blob(random.bytes(random.int(1000, 20000)))} ${path}\n`);
        }
        head = commit('main', `Change ${n}: ${random.pick(WORDS)} ${random.pick(WORDS)}\n\nDetails ${random.int(0, 1e6)}\n`, [head], changes);
        if (options.tagEvery && n % options.tagEvery === 0) {
          time += 1;
          emit(`tag v${n}\nfrom :${head}\ntagger Fixture Tagger <tagger@example.com> ${time} -0500\n`);
          emit(data(`Release ${n}\n`));
        }
        if (options.mergeEvery && n % options.mergeEvery === 0) {
          const base = head;
          const topic = editSome(Math.max(1, options.filesEditedPerCommit));
          let topicHead = commit(`topic-${n}`, `Topic ${n} work\n`, [base], topic.changes);
          const second = editSome(1, new Set());
          for (const p of second.touched) topic.touched.add(p);
          topicHead = commit(`topic-${n}`, `Topic ${n} more work\n`, [topicHead], second.changes);
          const mainSide = editSome(1, topic.touched);
          head = commit('main', `Main side before merging topic ${n}\n`, [head], mainSide.changes);
          const merged = [...topic.touched].map((p) => writeFile(p, files.get(p)!.split('\n')));
          head = commit('main', `Merge topic-${n}\n`, [head, topicHead], merged);
        }
        if (pendingBytes > 1 << 20) await flush();
      }
      emit('done\n');
      await flush();
    },
  });
}
