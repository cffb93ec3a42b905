import { createRequire } from 'node:module';
import { readWhole } from './archive-limits.js';

/**
 * xz data (`.xz`, `.txz`, `.tar.xz`) for the secret scan, decoded by xz-decompress (xz-embedded
 * compiled to WebAssembly) in the decompression worker (off-thread-decompression.ts): every
 * stream, each block's check (CRC-32, CRC-64) verified by the decoder.
 */

// xz-decompress is a webpack bundle whose exports Node's ES module loader cannot list.
const { XzReadableStream } = createRequire(import.meta.url)('xz-decompress') as typeof import('xz-decompress');

/** What xz-embedded's error codes (enum xz_ret) mean, as the decoder reports only the number. */
const XZ_ERRORS: Readonly<Record<string, string>> = {
  '2': 'an integrity check gitgate cannot verify',
  '3': 'the decoder ran out of memory',
  '4': 'a dictionary larger than gitgate allows',
  '5': 'not in the xz format, or data after its last stream',
  '6': 'options gitgate cannot decode: a SHA-256 check, a BCJ or delta filter',
  '7': 'corrupt data or a failed integrity check',
  '8': 'unexpected end of data',
};

/** The stream header's magic bytes (the .xz file format, 2.1.1.1); a stream is at least 32 bytes. */
export function isXzData(content: Buffer): boolean {
  return content.length >= 32 && [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00].every((byte, i) => content[i] === byte);
}

/** The data decompressed whole, or undefined once it passes `maxBytes`; throws, with the reason, for data xz would refuse. */
export async function decodeXz(content: Buffer, maxBytes: number): Promise<Buffer | undefined> {
  const compressed = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(content);
      controller.close();
    },
  });
  try {
    return await readWhole(new XzReadableStream(compressed), content.length * 4, maxBytes);
  } catch (error) {
    const code = /error code (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw code !== undefined && XZ_ERRORS[code] !== undefined ? new Error(XZ_ERRORS[code]) : error;
  }
}
