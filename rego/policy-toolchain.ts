import { resolve } from 'node:path';
import { PolicyError } from './errors.js';
import { runOpa, type OpaRunOptions } from './opa-cli.js';
import { isRegoTestFile, listPolicySourceFiles } from './policy-source.js';

/** What `opa test` found: results and line coverage of the policy files (tests left out). */
export interface PolicyTestReport {
  passed: boolean;
  /** opa's own report of failures and errors, when tests did not pass. */
  failureOutput: string;
  tests: { total: number; failed: number };
  /** Percentage of policy lines (not test lines) the tests evaluated; 100 when there are none. */
  coverage: number;
  files: Array<{ path: string; coverage: number; uncoveredLines: number[] }>;
}

interface OpaTestResult {
  fail?: boolean;
  error?: unknown;
  skip?: boolean;
}

interface OpaCoverageReport {
  files?: Record<string, { covered_lines?: number; not_covered_lines?: number; not_covered?: Array<{ start: { row: number }; end: { row: number } }> }>;
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new PolicyError('OPA_COMMAND_FAILED', `opa ${what} printed output that is not JSON:\n${text.slice(0, 2000)}`);
  }
}

async function requireDirectory(dir: string): Promise<void> {
  await listPolicySourceFiles(dir); // throws POLICY_SOURCE_NOT_FOUND with a clear message
}

/** Runs the Rego tests of a directory (`opa test`) and measures coverage. */
export async function testPolicies(dir: string, options: OpaRunOptions = {}): Promise<PolicyTestReport> {
  await requireDirectory(dir);
  const target = resolve(dir);
  const [results, coverage] = await Promise.all([
    runOpa(['test', '--format', 'json', target], options),
    runOpa(['test', '--coverage', '--format', 'json', target], options),
  ]);
  if (results.exitCode !== 0 || coverage.exitCode !== 0) {
    const verbose = await runOpa(['test', '-v', target], options);
    let tests = { total: 0, failed: 0 };
    if (results.stdout.trim().startsWith('[')) {
      const list = parseJson<OpaTestResult[]>(results.stdout, 'test');
      tests = { total: list.length, failed: list.filter((r) => r.fail || r.error).length };
    }
    const output = `${verbose.stdout}${verbose.stderr}`.trim() || `${results.stderr}${results.stdout}`.trim();
    return { passed: false, failureOutput: output, tests, coverage: 0, files: [] };
  }
  const list = parseJson<OpaTestResult[]>(results.stdout || '[]', 'test');
  const report = parseJson<OpaCoverageReport>(coverage.stdout, 'test --coverage');
  let covered = 0;
  let total = 0;
  const files: PolicyTestReport['files'] = [];
  for (const [path, file] of Object.entries(report.files ?? {})) {
    if (isRegoTestFile(path)) continue;
    const fileCovered = file.covered_lines ?? 0;
    const fileTotal = fileCovered + (file.not_covered_lines ?? 0);
    covered += fileCovered;
    total += fileTotal;
    const uncoveredLines = (file.not_covered ?? []).flatMap((range) =>
      Array.from({ length: range.end.row - range.start.row + 1 }, (_, i) => range.start.row + i),
    );
    files.push({ path, coverage: fileTotal === 0 ? 100 : (fileCovered / fileTotal) * 100, uncoveredLines });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return {
    passed: true,
    failureOutput: '',
    tests: { total: list.length, failed: 0 },
    coverage: total === 0 ? 100 : (covered / total) * 100,
    files,
  };
}

export interface PolicyCheckReport {
  passed: boolean;
  /** `opa check --strict` errors, empty when there are none. */
  compileErrors: string;
  /** Files `opa fmt` would change. */
  unformattedFiles: string[];
}

/** `opa check --strict` and `opa fmt --list`: compile errors and formatting problems. */
export async function checkPolicies(dir: string, options: OpaRunOptions = {}): Promise<PolicyCheckReport> {
  await requireDirectory(dir);
  const target = resolve(dir);
  const [check, format] = await Promise.all([
    runOpa(['check', '--strict', target], options),
    runOpa(['fmt', '--list', '--fail', target], options),
  ]);
  const compileErrors = check.exitCode === 0 ? '' : `${check.stderr}${check.stdout}`.trim();
  const listed = format.stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  if (format.exitCode !== 0 && listed.length === 0 && format.stderr.trim() !== '') {
    // opa fmt could not parse a file: that is a compile error too.
    return { passed: false, compileErrors: compileErrors || format.stderr.trim(), unformattedFiles: [] };
  }
  return { passed: compileErrors === '' && listed.length === 0, compileErrors, unformattedFiles: listed };
}
