import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { CliUsageError, stringOption, type CliIO, type Command, type ParsedCommandArgs } from './command.js';
import { loadRuleSet } from '../secrets/rules-loader.js';
import { BINARY_FILE_MODES, SecretScanner, type BinaryFileMode, type FileScanResult } from '../secrets/secret-scanner.js';
import { scanGitRange } from '../secrets/git-range.js';
import { scanLargeText } from '../secrets/large-text-scan.js';
import { walkFiles } from '../secrets/file-walk.js';
import { isSecretsError } from '../secrets/errors.js';
import { renderScanReport, SCAN_REPORT_FORMATS, type ScanReportFormat } from '../secrets/scan-report.js';
import { PUSH_PACK_LIMITS } from '../push/push-gate.js';
import { resolvePackLimits } from '../../pack-parser/index.js';

/**
 * Files larger than this are reported as skipped: by default the largest object the gateway
 * accepts in a push (PUSH_PACK_LIMITS), so that whatever a push could carry is scanned here too.
 */
const DEFAULT_MAX_FILE_BYTES = resolvePackLimits(PUSH_PACK_LIMITS).maxObjectSize;
/** Stable fingerprints across runs need the gateway's key; otherwise a random one per run. */
const FINGERPRINT_KEY_ENV = 'GITGATE_FINGERPRINT_KEY';

/** Stdin, read up to one byte past `limit`: enough to tell that it is over the limit. */
async function readStdin(stdin: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of stdin) {
    if (kept > limit) continue; // drained, not kept
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    const piece = bytes.subarray(0, limit + 1 - kept);
    chunks.push(piece);
    kept += piece.length;
  }
  return Buffer.concat(chunks);
}

/**
 * As the gateway scans a pushed file (large ones in slices, UTF-16 text decoded, UTF-16 strings
 * in binaries and the files of archives read), but a file over `--max-file-size` is skipped:
 * stdin is read only that far.
 */
async function scanContent(scanner: SecretScanner, path: string, content: Buffer, maxFileBytes: number): Promise<FileScanResult> {
  if (content.length > maxFileBytes) return { path, bytes: content.length, findings: [], skipped: 'too-large' };
  return scanLargeText(scanner, { path, newContent: content }, async () => undefined);
}

async function scanPaths(scanner: SecretScanner, paths: string[], maxFileBytes: number, io: CliIO): Promise<FileScanResult[]> {
  const results: FileScanResult[] = [];
  for (const root of paths) {
    if (root === '-') {
      results.push(await scanContent(scanner, '<stdin>', await readStdin(io.stdin, maxFileBytes), maxFileBytes));
      continue;
    }
    try {
      await stat(root);
    } catch {
      throw new CliUsageError(`no such file or directory: ${root}`);
    }
    for await (const path of walkFiles(root)) {
      const size = (await stat(path)).size;
      if (size > maxFileBytes) results.push({ path, bytes: size, findings: [], skipped: 'too-large' });
      else results.push(await scanContent(scanner, path, await readFile(path), maxFileBytes));
    }
  }
  return results;
}

function parseFormat(value: string | undefined): ScanReportFormat {
  const format = value ?? 'text';
  if (!(SCAN_REPORT_FORMATS as readonly string[]).includes(format)) {
    throw new CliUsageError(`--format must be one of ${SCAN_REPORT_FORMATS.join(', ')}, not '${format}'`);
  }
  return format as ScanReportFormat;
}

function parseSize(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_FILE_BYTES;
  const bytes = Number(value);
  if (!Number.isInteger(bytes) || bytes <= 0) throw new CliUsageError(`--max-file-size must be a positive number of bytes, not '${value}'`);
  return bytes;
}

/** Binary files: the gateway's way (every rule but the generic ones) unless told otherwise. */
function parseBinaryMode(value: string | undefined): BinaryFileMode {
  if (value === undefined) return 'specific-rules';
  if (!(BINARY_FILE_MODES as readonly string[]).includes(value)) throw new CliUsageError(`--binary must be one of ${BINARY_FILE_MODES.join(', ')}, not '${value}'`);
  return value as BinaryFileMode;
}

/** `gitgate scan`: the gateway's secret rules on files, stdin or the added lines of a commit range. */
export const scanCommand: Command = {
  words: ['scan'],
  summary: 'Scan files, stdin or a commit range for secrets with the gateway rules',
  usage:
    '[paths... | -] [--format text|json|sarif] [--rules <file>] [--max-file-size <bytes>]\n' +
    '       [--binary specific-rules|all-rules|skip]\n' +
    '       gitgate scan --git <repo> --range A..B [--format ...] [--rules <file>] [--max-file-size ...] [--binary ...]\n\n' +
    `Files over --max-file-size (default ${DEFAULT_MAX_FILE_BYTES} bytes, the largest object a push may carry) are skipped.\n` +
    'Exit status: 0 nothing found, 1 secrets found or a file not read whole, 2 usage error.\n' +
    `Fingerprints use the key in $${FINGERPRINT_KEY_ENV} (else a random key per run).`,
  options: {
    format: { type: 'string' },
    rules: { type: 'string' },
    git: { type: 'string' },
    range: { type: 'string' },
    'max-file-size': { type: 'string' },
    binary: { type: 'string' },
  },
  async run(args, io) {
    try {
      return await runScan(args, io);
    } catch (error) {
      // A bad rules file or a bad range is a mistake in how the command was called.
      if (isSecretsError(error)) throw new CliUsageError(error.message);
      throw error;
    }
  },
};

async function runScan(args: ParsedCommandArgs, io: CliIO): Promise<number> {
  const format = parseFormat(stringOption(args, 'format'));
  const maxFileBytes = parseSize(stringOption(args, 'max-file-size'));
  const repo = stringOption(args, 'git');
  const range = stringOption(args, 'range');
  if ((repo === undefined) !== (range === undefined)) throw new CliUsageError('--git and --range go together');
  if (repo !== undefined && args.positionals.length > 0) throw new CliUsageError('give either paths or --git/--range, not both');
  if (range !== undefined && !/^[^\s.][^\s]*\.\.[^\s.][^\s]*$/.test(range)) {
    throw new CliUsageError(`--range must look like A..B, not '${range}'`);
  }
  const rulesFile = stringOption(args, 'rules');
  const ruleSet = loadRuleSet(rulesFile);
  // The scanner's own size limit stays the gateway's: it is the slice a large file is read in.
  const scanner = new SecretScanner(ruleSet, {
    fingerprintKey: process.env[FINGERPRINT_KEY_ENV] ?? randomBytes(32),
    binaryFiles: parseBinaryMode(stringOption(args, 'binary')),
  });
  const results =
    repo !== undefined && range !== undefined
      ? await scanGitRange(scanner, repo, range, maxFileBytes)
      : await scanPaths(scanner, args.positionals.length > 0 ? args.positionals : ['.'], maxFileBytes, io);
  io.stdout(renderScanReport(format, results, ruleSet));
  // A file that could not be read whole fails the scan as it fails a push through the gateway.
  return results.some((r) => r.unscanned !== undefined || r.findings.some((f) => f.status === 'detected')) ? 1 : 0;
}
