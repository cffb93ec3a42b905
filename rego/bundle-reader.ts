import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { PolicyError, errorMessage } from './errors.js';

/** A compiled policy bundle, loaded into memory and ready to instantiate. */
export interface PolicyBundle {
  /** The bundle's revision (`.manifest` revision, or the sha256 of the bundle file when it has none). */
  revision: string;
  /** The entry points compiled into the WASM module. */
  entrypoints: string[];
  wasm: Uint8Array;
  /** The bundle's data document (`/data.json`), `{}` when there is none. */
  data: Record<string, unknown>;
  /** sha256 of the bundle file (or of the compiled module when built in memory). */
  digest: string;
}

/** Upper bound on what a bundle may unpack to, so a hostile archive cannot exhaust memory. */
export const MAX_BUNDLE_UNPACKED_BYTES = 256 * 1024 * 1024;

interface BundleManifest {
  revision?: unknown;
  wasm?: Array<{ entrypoint?: unknown; module?: unknown }>;
}

function invalid(where: string, message: string, cause?: unknown): PolicyError {
  return new PolicyError('POLICY_BUNDLE_INVALID', `${where}: ${message}`, cause === undefined ? undefined : { cause });
}

async function unpack(bytes: Uint8Array, where: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  let total = 0;
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (data: unknown) => {
        const chunk = data as Buffer;
        total += chunk.length;
        if (total > MAX_BUNDLE_UNPACKED_BYTES) {
          extract.destroy(invalid(where, `unpacks to more than ${MAX_BUNDLE_UNPACKED_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      stream.on('end', () => {
        if (header.type === 'file') files.set(`/${header.name.replace(/^\/+/, '')}`, Buffer.concat(chunks));
        next();
      });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  const gunzip = createGunzip();
  gunzip.on('error', (error) => extract.destroy(error));
  Readable.from([bytes]).pipe(gunzip).pipe(extract);
  try {
    await done;
  } catch (error) {
    throw error instanceof PolicyError ? error : invalid(where, `not a readable .tar.gz bundle (${errorMessage(error)})`, error);
  }
  return files;
}

function parseJson(bytes: Buffer, where: string, name: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw invalid(where, `${name} is not valid JSON (${errorMessage(error)})`, error);
  }
}

/** Reads an `opa build -t wasm` bundle from its bytes. */
export async function readBundle(bytes: Uint8Array, where = 'bundle'): Promise<PolicyBundle> {
  const files = await unpack(bytes, where);
  const manifestBytes = files.get('/.manifest');
  const manifest = (manifestBytes ? parseJson(manifestBytes, where, '.manifest') : {}) as BundleManifest;
  const modules = Array.isArray(manifest.wasm) ? manifest.wasm : [];
  const modulePaths = [...new Set(modules.map((m) => m.module).filter((m): m is string => typeof m === 'string'))];
  if (modulePaths.length === 0 && files.has('/policy.wasm')) modulePaths.push('/policy.wasm');
  if (modulePaths.length !== 1) {
    throw invalid(
      where,
      modulePaths.length === 0
        ? 'has no WASM module: build it with `gitgate policy build` (opa build -t wasm)'
        : `has ${modulePaths.length} WASM modules; only single-module bundles are supported`,
    );
  }
  const wasm = files.get(modulePaths[0] as string);
  if (!wasm) throw invalid(where, `its manifest names ${modulePaths[0]}, which is not in the archive`);
  const dataBytes = files.get('/data.json');
  const data = dataBytes ? parseJson(dataBytes, where, 'data.json') : {};
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw invalid(where, 'data.json is not a JSON object');
  const digest = createHash('sha256').update(bytes).digest('hex');
  const revision = typeof manifest.revision === 'string' && manifest.revision !== '' ? manifest.revision : digest;
  const entrypoints = modules.map((m) => m.entrypoint).filter((e): e is string => typeof e === 'string');
  return { revision, entrypoints, wasm: new Uint8Array(wasm), data: data as Record<string, unknown>, digest };
}

export async function readBundleFile(path: string): Promise<PolicyBundle> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new PolicyError('POLICY_SOURCE_NOT_FOUND', `cannot read policy bundle '${path}': ${errorMessage(error)}`, { cause: error });
  }
  return readBundle(bytes, path);
}
