import { spawnSync } from 'node:child_process';
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
  const run = spawnSync(tool, [...args, '-q', '-c'], { input: data, maxBuffer: 256 * 1024 * 1024 });
  if (run.error !== undefined || run.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${run.error?.message ?? run.stderr.toString()}`);
  return run.stdout;
}
