import { execFile } from 'node:child_process';
import { PolicyError } from './errors.js';
import { locateOpa, type OpaBinary } from './opa-binary.js';

export interface OpaRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface OpaRunOptions {
  cwd?: string;
  /** Kill opa after this long (default 120 s). */
  timeoutMs?: number;
  /** Use this binary instead of locating one. */
  opa?: OpaBinary;
  stdin?: string;
}

/** Runs `opa <args>` and returns its exit code and output; throws only when opa cannot run at all. */
export async function runOpa(args: string[], options: OpaRunOptions = {}): Promise<OpaRunResult> {
  const opa = options.opa ?? (await locateOpa());
  return new Promise((resolve, reject) => {
    const child = execFile(
      opa.path,
      args,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          const reason = error.killed ? `was killed after ${options.timeoutMs ?? 120_000} ms` : `failed: ${error.message}`;
          reject(new PolicyError('OPA_COMMAND_FAILED', `opa ${args[0] ?? ''} ${reason}`, { cause: error }));
          return;
        }
        resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  });
}

/** Like runOpa, but a non-zero exit is an OPA_COMMAND_FAILED error carrying opa's own output. */
export async function runOpaOrThrow(args: string[], options: OpaRunOptions = {}): Promise<OpaRunResult> {
  const result = await runOpa(args, options);
  if (result.exitCode !== 0) {
    const output = `${result.stderr}${result.stdout}`.trim();
    throw new PolicyError('OPA_COMMAND_FAILED', `opa ${args.join(' ')} exited with ${result.exitCode}:\n${output}`);
  }
  return result;
}
