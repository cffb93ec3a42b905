import { parentPort } from 'node:worker_threads';
import { decodeBzip2 } from './bzip2-decoder.js';
import type { DecompressionFormat, DecompressionJob, DecompressionReply } from './off-thread-decompression.js';
import { decodeXz } from './xz-decoder.js';
import { decodeZstd } from './zstd-decoder.js';

/** The decompression thread (off-thread-decompression.ts): decodes the files it is sent, one at a time. */

const DECODERS: Readonly<Record<DecompressionFormat, (content: Buffer, maxBytes: number) => Promise<Buffer | undefined>>> = {
  xz: decodeXz,
  zstd: decodeZstd,
  bzip2: decodeBzip2,
};

/** Below this, or when most of its buffer is unused, the output is copied to a buffer of its own size before it is moved. */
const MOVE_WHOLE_BUFFER_MIN_BYTES = 64 * 1024;

async function decode(job: DecompressionJob): Promise<{ reply: DecompressionReply; transfer: ArrayBuffer[] }> {
  const content = Buffer.from(job.content.buffer, job.content.byteOffset, job.content.byteLength);
  try {
    const decoded = await DECODERS[job.format](content, job.maxBytes);
    if (decoded === undefined) return { reply: { id: job.id, kind: 'past-limit' }, transfer: [] };
    const buffer = ownBuffer(decoded);
    return { reply: { id: job.id, kind: 'decoded', buffer, length: decoded.length }, transfer: [buffer] };
  } catch (error) {
    return { reply: { id: job.id, kind: 'failed', message: error instanceof Error ? error.message : String(error) }, transfer: [] };
  }
}

/**
 * An ArrayBuffer that holds `bytes` from its start and can be moved: the decoder's own when they
 * fill most of it (a grown output buffer has up to twice their length), else a copy (a small
 * Buffer lies in Node's shared pool, which must not be moved away).
 */
function ownBuffer(bytes: Buffer): ArrayBuffer {
  const { buffer } = bytes;
  if (buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.length >= MOVE_WHOLE_BUFFER_MIN_BYTES && buffer.byteLength <= bytes.length * 1.25) return buffer;
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

parentPort!.on('message', (job: DecompressionJob) => {
  void decode(job).then(({ reply, transfer }) => parentPort!.postMessage(reply, transfer));
});
parentPort!.postMessage({ kind: 'ready' } satisfies DecompressionReply);
