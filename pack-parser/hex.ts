/** True when `bytes[start, start + length)` are lowercase hex digits (the only form git writes ids in). */
export function isLowerHex(bytes: Uint8Array, start: number, length: number): boolean {
  if (start + length > bytes.length) return false;
  for (let i = start; i < start + length; i++) {
    const b = bytes[i]!;
    if (!((b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66))) return false;
  }
  return true;
}
