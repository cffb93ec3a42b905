import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PolicyError } from './errors.js';
import { runOpa, type OpaRunOptions } from './opa-cli.js';
import { listPolicySourceFiles, policyDirectoryRevision } from './policy-source.js';
import { readBundleFile, type PolicyBundle } from './bundle-reader.js';
import { POLICY_ENTRYPOINTS, PREPARE_ENTRYPOINT } from './entrypoints.js';

export interface BuildBundleOptions {
  /** Entry points to compile (default: gitgate/push, gitgate/fetch, gitgate/api, and gitgate/prepare when defined). */
  entrypoints?: readonly string[];
  opa?: OpaRunOptions['opa'];
  timeoutMs?: number;
}

export interface BuiltBundle {
  path: string;
  revision: string;
}

/**
 * Compiles a policy directory to a WASM bundle with `opa build -t wasm`. The bundle's revision is
 * the content hash of the directory; tests (`*_test.rego`) and hidden files are left out.
 */
export async function buildBundle(dir: string, output: string, options: BuildBundleOptions = {}): Promise<BuiltBundle> {
  const source = resolve(dir);
  const revision = await policyDirectoryRevision(source);
  const entrypoints = options.entrypoints ?? (await defaultEntrypoints(source));
  const args = ['build', '-t', 'wasm', '--revision', revision, '--ignore', '*_test.rego', '--ignore', '.*'];
  for (const entrypoint of entrypoints) args.push('-e', entrypoint);
  args.push('-o', resolve(output), '.');
  const result = await runOpa(args, { cwd: source, opa: options.opa, timeoutMs: options.timeoutMs });
  if (result.exitCode !== 0) {
    const output = `${result.stderr}${result.stdout}`.trim();
    const missing = /entrypoint "([^"]+)" does not refer to a rule/.exec(output);
    if (missing) {
      throw new PolicyError(
        'POLICY_ENTRYPOINT_MISSING',
        `${dir}: no rules for entry point ${missing[1]}: add a package ${missing[1]?.replaceAll('/', '.')} ` +
          `(for example with \`default allow := false\`), or build only the entry points you have.`,
      );
    }
    throw new PolicyError('POLICY_COMPILE_FAILED', `${dir}: the policies do not compile:\n${output}`);
  }
  return { path: resolve(output), revision };
}

/** The package of the optional prepare entry point, as it is declared in a module. */
const PREPARE_PACKAGE = new RegExp(`^package\\s+${PREPARE_ENTRYPOINT.replaceAll('/', '\\.')}\\s*$`, 'm');

/** The standard entry points, plus gitgate/prepare when a module of the directory declares its package. */
async function defaultEntrypoints(dir: string): Promise<readonly string[]> {
  for (const file of await listPolicySourceFiles(dir)) {
    if (file.kind === 'rego' && PREPARE_PACKAGE.test(await readFile(join(dir, file.path), 'utf8'))) {
      return [...POLICY_ENTRYPOINTS, PREPARE_ENTRYPOINT];
    }
  }
  return POLICY_ENTRYPOINTS;
}

/** Compiles a directory and loads the result, without leaving a bundle file behind. */
export async function compilePolicyDirectory(dir: string, options: BuildBundleOptions = {}): Promise<PolicyBundle> {
  const scratch = await mkdtemp(join(tmpdir(), 'gitgate-policy-'));
  try {
    const built = await buildBundle(dir, join(scratch, 'bundle.tar.gz'), options);
    return await readBundleFile(built.path);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
