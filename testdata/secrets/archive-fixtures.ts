import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import yazl from 'yazl';
import tar from 'tar-stream';

/**
 * A zip archive of the given files, as zip tools write it (yazl): deflated unless `compress` is
 * false; a name ending in "/" is a directory entry.
 */
export async function zipOf(files: Record<string, string | Buffer>, options: { compress?: boolean } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const mtime = new Date('2026-01-01T00:00:00Z');
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('/')) zip.addEmptyDirectory(name, { mtime });
    else zip.addBuffer(Buffer.from(content), name, { compress: options.compress ?? true, mtime });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A tar archive of the given files (tar-stream, ustar headers; pax headers for long names), as
 * `tar -cf` writes it: a name ending in "/" is a directory entry.
 */
export async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const mtime = new Date('2026-01-01T00:00:00Z');
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('/')) pack.entry({ name, type: 'directory', mtime });
    else pack.entry({ name, mtime }, Buffer.from(content));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * `data` compressed by the real tool (`xz`, `zstd` or `bzip2`, installed by scripts/ci/install-system-deps.sh),
 * with its extra arguments (`-C sha256`, `-19`).
 */
export function compressedBy(tool: 'xz' | 'zstd' | 'bzip2', data: string | Buffer, args: string[] = []): Buffer {
  return run(tool, [...args, '-q', '-c'], { input: data });
}

/** What the real tool writes to standard output; throws with its standard error when it fails. */
function run(command: string, args: string[], options: { cwd?: string; input?: string | Buffer }): Buffer {
  const done = spawnSync(command, args, { ...options, maxBuffer: 256 * 1024 * 1024 });
  if (done.error !== undefined || done.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${done.error?.message ?? done.stderr.toString()}`);
  return done.stdout;
}

/** Files written under a new temporary directory (names may hold "/"), given to `use`, then removed. */
function withFiles<T>(files: Record<string, string | Buffer>, use: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-archive-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    return use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An ar archive of the given files in this order, by the real `ar` (GNU: names past 15 characters go to its "//" table). */
export function arOf(files: Record<string, string | Buffer>): Buffer {
  return withFiles(files, (dir) => {
    run('ar', ['rcD', 'out.a', ...Object.keys(files)], { cwd: dir });
    return readFileSync(join(dir, 'out.a'));
  });
}

/**
 * A Debian package built by the real `dpkg-deb` (its data.tar compressed with `compression`:
 * xz, gzip or zstd), holding `files` (paths from the root, such as `etc/app/app.env`).
 */
export function debOf(files: Record<string, string | Buffer>, compression: 'xz' | 'gzip' | 'zstd' = 'xz'): Buffer {
  const control = 'Package: gitgate-fixture\nVersion: 1.0\nArchitecture: all\nMaintainer: Nobody <nobody@example.invalid>\nDescription: a test package\n';
  return withFiles({ ...Object.fromEntries(Object.entries(files).map(([name, content]) => [`root/${name}`, content])), 'root/DEBIAN/control': control }, (dir) => {
    run('dpkg-deb', ['--root-owner-group', `-Z${compression}`, '--build', 'root', 'out.deb'], { cwd: dir });
    return readFileSync(join(dir, 'out.deb'));
  });
}
