import { readFile, stat } from 'node:fs/promises';
import {
  PolicyEngine,
  buildBundle,
  checkPolicies,
  isPolicyError,
  isPolicyKind,
  POLICY_ENTRYPOINTS,
  POLICY_KINDS,
  readBundleFile,
  testPolicies,
  type PolicyKind,
  type PolicySource,
} from '../../rego/index.js';
import { CliUsageError, booleanOption, stringOption, type CliIO, type Command, type ParsedCommandArgs } from './command.js';

const DEFAULT_DIR = 'policies';

function policyDir(args: ParsedCommandArgs): string {
  if (args.positionals.length > 1) throw new CliUsageError(`expected at most one policy directory, got ${args.positionals.length}`);
  return args.positionals[0] ?? DEFAULT_DIR;
}

/** Runs a command body, turning PolicyErrors into a message and exit code 1. */
async function reportingPolicyErrors(io: CliIO, name: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (isPolicyError(error)) {
      io.stderr(`gitgate policy ${name}: ${error.message} [${error.code}]\n`);
      return 1;
    }
    throw error;
  }
}

function formatLines(lines: number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === (lines[j] as number) + 1) j += 1;
    ranges.push(i === j ? `${lines[i]}` : `${lines[i]}-${lines[j]}`);
    i = j + 1;
  }
  return ranges.join(', ');
}

export const policyTestCommand: Command = {
  words: ['policy', 'test'],
  summary: 'Run the Rego tests of a policy directory (opa test) with coverage',
  usage: '[dir] [--threshold N]',
  options: { threshold: { type: 'string' } },
  async run(args, io) {
    const dir = policyDir(args);
    const thresholdText = stringOption(args, 'threshold');
    const threshold = thresholdText === undefined ? undefined : Number(thresholdText);
    if (threshold !== undefined && !(Number.isFinite(threshold) && threshold >= 0 && threshold <= 100)) {
      throw new CliUsageError(`--threshold must be a percentage between 0 and 100, got '${thresholdText}'`);
    }
    return reportingPolicyErrors(io, 'test', async () => {
      const report = await testPolicies(dir);
      if (!report.passed) {
        io.stderr(`${report.failureOutput}\n\ngitgate policy test: ${report.tests.failed} of ${report.tests.total} tests failed in ${dir}\n`);
        return 1;
      }
      io.stdout(`${report.tests.total} tests passed in ${dir}\n`);
      io.stdout(`coverage: ${report.coverage.toFixed(1)}% of policy lines (test files excluded)\n`);
      for (const file of report.files.filter((f) => f.coverage < 100)) {
        io.stdout(`  ${file.path}: ${file.coverage.toFixed(1)}%, not covered: lines ${formatLines(file.uncoveredLines)}\n`);
      }
      if (threshold !== undefined && report.coverage < threshold) {
        io.stderr(`gitgate policy test: coverage ${report.coverage.toFixed(1)}% is under the threshold of ${threshold}%: add tests for the lines listed above\n`);
        return 1;
      }
      return 0;
    });
  },
};

export const policyCheckCommand: Command = {
  words: ['policy', 'check'],
  summary: 'Check a policy directory: compile strictly (opa check --strict) and formatting (opa fmt)',
  usage: '[dir]',
  options: {},
  async run(args, io) {
    const dir = policyDir(args);
    return reportingPolicyErrors(io, 'check', async () => {
      const report = await checkPolicies(dir);
      if (report.compileErrors !== '') io.stderr(`${report.compileErrors}\n`);
      if (report.unformattedFiles.length > 0) {
        io.stderr(`not formatted as opa fmt would (run \`opa fmt -w ${dir}\`):\n${report.unformattedFiles.map((f) => `  ${f}\n`).join('')}`);
      }
      if (!report.passed) return 1;
      io.stdout(`${dir}: compiles strictly and is formatted\n`);
      return 0;
    });
  },
};

export const policyBuildCommand: Command = {
  words: ['policy', 'build'],
  summary: 'Compile a policy directory to a WASM bundle (opa build -t wasm)',
  usage: `[dir] [-o bundle.tar.gz] [--entrypoint ${POLICY_ENTRYPOINTS[0]} ...]`,
  options: { output: { type: 'string', short: 'o' }, entrypoint: { type: 'string', multiple: true } },
  async run(args, io) {
    const dir = policyDir(args);
    const output = stringOption(args, 'output') ?? 'bundle.tar.gz';
    const chosen = args.values['entrypoint'];
    const entrypoints = Array.isArray(chosen) && chosen.length > 0 ? chosen.map(String) : POLICY_ENTRYPOINTS;
    return reportingPolicyErrors(io, 'build', async () => {
      const built = await buildBundle(dir, output, { entrypoints });
      const bundle = await readBundleFile(built.path);
      const size = (await stat(built.path)).size;
      io.stdout(
        `wrote ${output} (${size} bytes)\n  revision:    ${bundle.revision}\n  entrypoints: ${entrypoints.join(', ')}\n` +
          `  data keys:   ${Object.keys(bundle.data).sort().join(', ') || '(none)'}\n`,
      );
      return 0;
    });
  },
};

async function readJsonFile(path: string, io: CliIO, what: string): Promise<unknown> {
  let text: string;
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    text = Buffer.concat(chunks).toString('utf8');
  } else {
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new CliUsageError(`cannot read the ${what} ${path}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliUsageError(`the ${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

export const policyEvalCommand: Command = {
  words: ['policy', 'eval'],
  summary: 'Evaluate one input document against policies and print the decision',
  usage: '--input input.json [--bundle b.tar.gz | --dir policies] [--kind push|fetch|api] [--data overrides.json] [--record] [--no-validate]',
  options: {
    input: { type: 'string', short: 'i' },
    bundle: { type: 'string', short: 'b' },
    dir: { type: 'string', short: 'd' },
    kind: { type: 'string' },
    data: { type: 'string' },
    record: { type: 'boolean' },
    'no-validate': { type: 'boolean' },
  },
  async run(args, io) {
    const inputPath = stringOption(args, 'input');
    if (inputPath === undefined) throw new CliUsageError('--input is required (a JSON file, or - for standard input)');
    const bundle = stringOption(args, 'bundle');
    const dir = stringOption(args, 'dir');
    if (bundle !== undefined && dir !== undefined) throw new CliUsageError('give either --bundle or --dir, not both');
    const input = await readJsonFile(inputPath, io, 'input');
    const kindText = stringOption(args, 'kind') ?? (input as { kind?: unknown } | null)?.kind;
    if (!isPolicyKind(kindText)) {
      throw new CliUsageError(`cannot tell the kind of input: give --kind ${POLICY_KINDS.join('|')} (or set "kind" in the input)`);
    }
    const kind: PolicyKind = kindText;
    const dataPath = stringOption(args, 'data');
    const overrides = dataPath === undefined ? undefined : await readJsonFile(dataPath, io, 'data file');
    if (overrides !== undefined && (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides))) {
      throw new CliUsageError(`the data file ${dataPath} must hold a JSON object`);
    }
    const source: PolicySource = bundle !== undefined ? { kind: 'bundle', path: bundle } : { kind: 'directory', path: dir ?? DEFAULT_DIR };
    return reportingPolicyErrors(io, 'eval', async () => {
      const engine = await PolicyEngine.start({
        source,
        size: 1,
        validateInput: !booleanOption(args, 'no-validate'),
        dataOverrides: overrides as Record<string, unknown> | undefined,
        ...(source.kind === 'directory' ? { entrypoints: [`gitgate/${kind}`] } : {}),
      });
      try {
        const record = await engine.evaluate(kind, input);
        io.stdout(`${JSON.stringify(booleanOption(args, 'record') ? record : record.result, null, 2)}\n`);
        if (record.error) {
          io.stderr(`gitgate policy eval: the evaluation did not complete: ${record.error.message} [${record.error.code}]\n`);
          return 1;
        }
        return 0;
      } finally {
        await engine.close();
      }
    });
  },
};

/** `gitgate policy test|check|build|eval`. */
export const policyCommands: Command[] = [policyTestCommand, policyCheckCommand, policyBuildCommand, policyEvalCommand];
