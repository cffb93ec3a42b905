import { closeSync, createReadStream, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { PackDecoder, PackFileSpool, SpillingPackSpool, idxV2Pieces, isPackParserError, type PackSpool } from '../../pack-parser/index.js';
import { CatFileObjectSource } from '../git/cat-file-object-source.js';
import type { FromPackIndexWorker, PackIndexJob, ToPackIndexWorker } from './pack-index-protocol.js';

const READ_CHUNK_BYTES = 1024 * 1024;
const job = workerData as PackIndexJob;
const port = parentPort!;
const send = (message: FromPackIndexWorker) => port.postMessage(message);

/** Writes the idx piece by piece to a temporary file, then renames it into place. */
function writeIdxFile(decoder: PackDecoder, idxPath: string): void {
  const temporary = `${idxPath}.tmp-${process.pid}`;
  const fd = openSync(temporary, 'w', 0o644);
  try {
    for (const piece of idxV2Pieces(decoder.table, decoder.checksum!, decoder.hashAlgorithm)) {
      let written = 0;
      while (written < piece.length) written += writeSync(fd, piece, written);
    }
  } catch (error) {
    closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporary, idxPath);
}

/** Chunks posted by the main thread (standard input), acknowledged as they are consumed. */
async function* postedChunks(): AsyncGenerator<Buffer> {
  const queue: (Buffer | null)[] = [];
  let wake: (() => void) | undefined;
  port.on('message', (message: ToPackIndexWorker) => {
    queue.push(message.type === 'chunk' ? Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength) : null);
    wake?.();
  });
  for (;;) {
    while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const next = queue.shift()!;
    if (next === null) return;
    yield next;
    send({ type: 'consumed', bytes: next.length });
  }
}

async function run(): Promise<void> {
  const spool: PackSpool = job.packPath === undefined ? new SpillingPackSpool() : new PackFileSpool(job.packPath);
  const source = job.packPath === undefined ? postedChunks() : createReadStream(job.packPath, { highWaterMark: READ_CHUNK_BYTES });
  const bases = job.baseRepo === undefined ? undefined : new CatFileObjectSource(job.baseRepo);
  let total = 0;
  let resolved = 0;
  let lastProgress = 0;
  const decoder = new PackDecoder({
    spool,
    resolveExternalBase: bases ? (id) => bases.read(id) : undefined,
    onHeader: (header) => (total = header.objectCount),
    onObject: job.progress
      ? () => {
          resolved++;
          const now = performance.now();
          if (now - lastProgress > 250) {
            lastProgress = now;
            send({ type: 'progress', resolved, total });
          }
        }
      : undefined,
  });
  try {
    for await (const chunk of source) decoder.write(chunk as Buffer);
    const summary = await decoder.end();
    if (job.idxPath !== undefined) writeIdxFile(decoder, job.idxPath);
    send({ type: 'done', summary, idxPath: job.idxPath });
  } finally {
    decoder.close();
    spool.close();
    bases?.close();
  }
}

run().catch((error: unknown) => {
  const parserError = isPackParserError(error);
  send({
    type: 'failed',
    parserError,
    code: (error as { code?: string }).code,
    message: error instanceof Error ? error.message : String(error),
    offset: parserError ? error.offset : undefined,
  });
});
