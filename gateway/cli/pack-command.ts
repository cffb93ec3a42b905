import { basename } from 'node:path';
import { isPackParserError, type PackSummary } from '../../pack-parser/index.js';
import { indexPackInWorker } from '../pack/index-pack-in-worker.js';
import { CliUsageError, booleanOption, stringOption, type CliIO, type Command } from './command.js';

interface IndexResult {
  summary: PackSummary;
  idxPath: string | undefined;
  elapsedMs: number;
}

async function indexPack(input: string, idxPath: string | undefined, baseRepo: string | undefined, io: CliIO): Promise<IndexResult> {
  const started = performance.now();
  const summary = await indexPackInWorker({
    pack: input === '-' ? io.stdin : input,
    idxPath,
    baseRepo,
    onProgress: io.progress
      ? (resolved, total) => io.stderr(`\rIndexing objects: ${Math.floor((resolved * 100) / Math.max(total, 1))}% (${resolved}/${total})`)
      : undefined,
  });
  if (io.progress) io.stderr(`\rIndexing objects: 100% (${summary.objectCount}/${summary.objectCount}), done.\n`);
  return { summary, idxPath, elapsedMs: performance.now() - started };
}

function formatSummary(input: string, result: IndexResult): string {
  const { summary, elapsedMs } = result;
  const mib = summary.byteLength / (1024 * 1024);
  const counts = Object.entries(summary.countsByType)
    .map(([type, count]) => `${type} ${count}`)
    .join(', ');
  return (
    `${input === '-' ? 'stdin' : basename(input)}: pack v${summary.version}, ${summary.objectCount} objects (${counts})\n` +
    `  deltas ${summary.deltaCount}, max chain ${summary.maxDepth}` +
    (summary.externalBaseCount > 0 ? `, ${summary.externalBaseCount} bases from outside the pack (thin)` : '') +
    `\n  checksum ${summary.checksum} verified, ${mib.toFixed(1)} MiB in ${(elapsedMs / 1000).toFixed(2)} s` +
    ` (${(mib / (elapsedMs / 1000)).toFixed(1)} MiB/s)\n` +
    (result.idxPath ? `  idx written to ${result.idxPath}\n` : '')
  );
}

export const packIndexCommand: Command = {
  words: ['pack', 'index'],
  summary: 'Decode and verify a pack, write its .idx (same bytes as git index-pack)',
  usage:
    '<file.pack | -> [--output <file.idx>] [--json] [--base-repo <git-dir>]\n\n' +
    'Reads a pack file (or standard input with `-`), resolves every delta, verifies object ids and\n' +
    'the checksum, and writes the version 2 index next to the pack (or to --output; for stdin only\n' +
    'with --output). A thin pack needs --base-repo, a repository holding the bases it leaves out.',
  options: {
    output: { type: 'string', short: 'o' },
    json: { type: 'boolean' },
    'base-repo': { type: 'string' },
  },
  async run(args, io) {
    const [input, extra] = args.positionals;
    if (input === undefined) throw new CliUsageError('missing the pack to index (a file, or - for stdin)');
    if (extra !== undefined) throw new CliUsageError(`unexpected argument '${extra}'`);
    const output = stringOption(args, 'output');
    const idxPath = output ?? (input === '-' ? undefined : input.replace(/(\.pack)?$/, '.idx'));
    try {
      const result = await indexPack(input, idxPath, stringOption(args, 'base-repo'), io);
      if (booleanOption(args, 'json')) {
        io.stdout(`${JSON.stringify({ ...result.summary, idx: result.idxPath, elapsedMs: Math.round(result.elapsedMs) }, null, 2)}\n`);
      } else {
        io.stdout(formatSummary(input, result));
      }
      return 0;
    } catch (error) {
      if (isPackParserError(error)) {
        const where = error.offset === undefined ? '' : ` (at byte ${error.offset})`;
        io.stderr(`gitgate pack index: ${input} is not a valid pack: ${error.code}${where}: ${error.message}\n`);
        return 1;
      }
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
        io.stderr(`gitgate pack index: cannot read ${input}: ${(error as Error).message}\n`);
        return 1;
      }
      throw error;
    }
  },
};
