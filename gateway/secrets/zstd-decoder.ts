import { Decompress as ZstdDecoder } from 'fzstd';
import xxhash from 'xxhash-wasm';
import { decodeWhole } from './archive-limits.js';

/**
 * zstd data (`.zst`, `.tzst`, `.tar.zst`) for the secret scan, decoded by fzstd (pure
 * JavaScript) in the decompression worker (off-thread-decompression.ts). Every frame is read;
 * skippable frames are read past, as zstd does; data cut short or anything after the last frame
 * makes the data unreadable. fzstd does not verify a frame's content checksum, so each frame is
 * decoded on its own and its output hashed here: a frame whose checksum does not match is
 * refused, as `zstd -d` refuses it.
 */

/** A zstd frame's magic number, little-endian (RFC 8878, 3.1.1). */
const ZSTD_FRAME_MAGIC = 0xfd2fb528;

/** Compressed bytes fzstd is given at a time: the output is checked against the budget between them. */
const ZSTD_INPUT_SLICE = 16 * 1024;

/** The largest window a zstd frame may ask for: what `zstd --ultra -20` writes (levels up to 19 use 8 MiB). */
export const ZSTD_MAX_WINDOW_BYTES = 32 * 1024 * 1024;

/** A skippable frame's magic number (0x184D2A50 to 0x184D2A5F), which zstd reads past (RFC 8878, 3.1.2). */
function isSkippableFrameMagic(magic: number): boolean {
  return (magic & 0xfffffff0) === 0x184d2a50;
}

/** A zstd frame (at least 9 bytes), or a skippable frame (at least its 8-byte header). */
export function isZstdData(content: Buffer): boolean {
  if (content.length < 8) return false;
  const magic = content.readUInt32LE(0);
  return (magic === ZSTD_FRAME_MAGIC && content.length >= 9) || isSkippableFrameMagic(magic);
}

/** Where one frame lies in the data, and the content checksum it ends with, if it has one. */
interface ZstdFrame {
  start: number;
  end: number;
  checksum: number | undefined;
}

/**
 * The data's frames, found by their headers and block headers, and where what could not be walked
 * as whole frames starts (the data's length when everything could). Skippable frames are left out.
 * Throws when a frame asks for a window larger than ZSTD_MAX_WINDOW_BYTES (RFC 8878, 3.1.1.1):
 * fzstd allocates a frame's window as soon as it reads the header, up to 2 GiB, and moves all of
 * it for every block it decodes, so ten bytes of header would otherwise cost gigabytes. What is
 * not zstd, or is cut short, is left for fzstd to refuse.
 */
export function zstdFrames(content: Buffer): { frames: ZstdFrame[]; rest: number } {
  const frames: ZstdFrame[] = [];
  let at = 0;
  while (at + 8 <= content.length) {
    const magic = content.readUInt32LE(at);
    if (isSkippableFrameMagic(magic)) {
      const end = at + 8 + content.readUInt32LE(at + 4); // a skippable frame: its size, then its bytes
      if (end > content.length) break;
      at = end;
      continue;
    }
    if (magic !== ZSTD_FRAME_MAGIC) break;
    const end = frameEnd(content, at);
    if (end === undefined) break;
    const hasChecksum = (content[at + 4]! & 0x04) !== 0;
    frames.push({ start: at, end, checksum: hasChecksum ? content.readUInt32LE(end - 4) : undefined });
    at = end;
  }
  return { frames, rest: at };
}

/** Where the frame starting at `at` ends, or undefined when the data ends first; checks its window. */
function frameEnd(content: Buffer, at: number): number | undefined {
  const descriptor = content[at + 4]!;
  const singleSegment = (descriptor & 0x20) !== 0;
  const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!;
  let p = at + 5;
  let window = 0;
  if (!singleSegment) {
    const windowDescriptor = content[p++] ?? 0;
    const base = 2 ** (10 + (windowDescriptor >> 3));
    window = base + (base / 8) * (windowDescriptor & 7);
  }
  p += [0, 1, 2, 4][descriptor & 3]!; // the dictionary id
  if (p + contentSizeBytes > content.length) return undefined;
  if (singleSegment) window = zstdContentSize(content, p, contentSizeBytes); // the window is the content
  if (window > ZSTD_MAX_WINDOW_BYTES) {
    throw new Error(`a frame asks for a window of ${window} bytes, more than the ${ZSTD_MAX_WINDOW_BYTES} gitgate decodes with`);
  }
  p += contentSizeBytes;
  for (let last = false; !last; ) {
    if (p + 3 > content.length) return undefined;
    const header = content[p]! | (content[p + 1]! << 8) | (content[p + 2]! << 16);
    last = (header & 1) === 1;
    p += 3 + (((header >> 1) & 3) === 1 ? 1 : header >>> 3); // an RLE block holds one byte
  }
  const end = p + ((descriptor & 0x04) !== 0 ? 4 : 0); // the content checksum
  return end <= content.length ? end : undefined;
}

/** A frame's Frame_Content_Size field: one byte, two (plus 256), four or eight, little-endian. */
function zstdContentSize(content: Buffer, at: number, bytes: number): number {
  if (bytes === 1) return content[at]!;
  if (bytes === 2) return content.readUInt16LE(at) + 256;
  if (bytes === 4) return content.readUInt32LE(at);
  return Number(content.readBigUInt64LE(at));
}

let hasher: ReturnType<typeof xxhash> | undefined;

/**
 * The data decompressed whole, or undefined once it passes `maxBytes`; throws for data zstd would
 * refuse. Each frame gets a decoder of its own and its slices one at a time, so the output stops
 * at the limit within a slice (one slice of RLE blocks may expand to gigabytes).
 */
export async function decodeZstd(content: Buffer, maxBytes: number): Promise<Buffer | undefined> {
  const { frames, rest } = zstdFrames(content);
  const { create64 } = await (hasher ??= xxhash());
  return decodeWhole(content.length * 4, maxBytes, async (append) => {
    for (const frame of frames) {
      const hash = frame.checksum === undefined ? undefined : create64();
      const decoder = new ZstdDecoder((chunk) => {
        append(chunk);
        hash?.update(chunk);
      });
      pushSlices(decoder, content.subarray(frame.start, frame.end));
      // The checksum is the low 32 bits of the content's XXH64 (seed 0) (RFC 8878, 3.1.1).
      if (hash !== undefined && Number(hash.digest() & 0xffffffffn) !== frame.checksum) {
        throw new Error("a frame's content checksum does not match its content");
      }
    }
    // Data that is not whole frames: fzstd refuses it, with its own reason.
    if (rest < content.length) pushSlices(new ZstdDecoder(append), content.subarray(rest));
  });
}

function pushSlices(decoder: ZstdDecoder, data: Buffer): void {
  for (let at = 0; at < data.length; at += ZSTD_INPUT_SLICE) decoder.push(data.subarray(at, at + ZSTD_INPUT_SLICE), at + ZSTD_INPUT_SLICE >= data.length);
}
