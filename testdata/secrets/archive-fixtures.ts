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
