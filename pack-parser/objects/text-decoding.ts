import { TextDecoder } from 'node:util';

const decoders = new Map<string, TextDecoder>();
const utf8 = new TextDecoder('utf-8');

/**
 * Decodes object text (names, messages) from the commit's `encoding` (git's default is UTF-8).
 * An encoding the runtime does not know decodes as UTF-8; invalid bytes become U+FFFD.
 */
export function decodeText(bytes: Uint8Array, encoding: string | undefined): string {
  if (encoding === undefined) return utf8.decode(bytes);
  let decoder = decoders.get(encoding);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(encoding);
    } catch {
      decoder = utf8;
    }
    if (decoders.size < 64) decoders.set(encoding, decoder);
  }
  return decoder.decode(bytes);
}
