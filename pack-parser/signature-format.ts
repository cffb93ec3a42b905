/** The kinds of signature git recognises by their armor line (gpg-interface.c). */
export type SignatureFormat = 'openpgp' | 'x509' | 'ssh';

const ARMOR_LINES: readonly { prefix: Buffer; format: SignatureFormat }[] = [
  { prefix: Buffer.from('-----BEGIN PGP SIGNATURE-----', 'latin1'), format: 'openpgp' },
  { prefix: Buffer.from('-----BEGIN PGP MESSAGE-----', 'latin1'), format: 'openpgp' },
  { prefix: Buffer.from('-----BEGIN SIGNED MESSAGE-----', 'latin1'), format: 'x509' },
  { prefix: Buffer.from('-----BEGIN SSH SIGNATURE-----', 'latin1'), format: 'ssh' },
];

const DASH = 0x2d;

/** The format whose armor line `bytes` starts at `start`, or `undefined`. */
export function signatureFormatOf(bytes: Uint8Array, start = 0): SignatureFormat | undefined {
  if (bytes[start] !== DASH) return undefined;
  for (const { prefix, format } of ARMOR_LINES) {
    if (start + prefix.length > bytes.length) continue;
    let matches = true;
    for (let i = 0; i < prefix.length && matches; i++) matches = bytes[start + i] === prefix[i];
    if (matches) return format;
  }
  return undefined;
}

/**
 * Where the signature appended to a tag (or push certificate) starts: the start of the LAST line
 * that begins with an armor line, as git's `parse_signed_buffer` finds it; `bytes.length` if none.
 */
export function signatureStart(bytes: Uint8Array, from = 0): number {
  let match = bytes.length;
  let line = from;
  while (line < bytes.length) {
    if (signatureFormatOf(bytes, line) !== undefined) match = line;
    const eol = bytes.indexOf(0x0a, line);
    if (eol < 0) break;
    line = eol + 1;
  }
  return match;
}
