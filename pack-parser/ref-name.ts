/**
 * Ref name validation with the rules of git's `check_refname_format` (`git check-ref-format`).
 * Names are checked as bytes: a string is taken as UTF-8.
 */

export interface RefNameRules {
  /** Accept a name of one component (`HEAD`, `main`): `--allow-onelevel`. Default false. */
  allowOneLevel?: boolean;
  /** Accept one `*` anywhere (a refspec pattern): `--refspec-pattern`. Default false. */
  refspecPattern?: boolean;
}

const DOT = 0x2e;
const SLASH = 0x2f;
const AT = 0x40;
const OPEN_BRACE = 0x7b;
const STAR = 0x2a;
const LOCK_SUFFIX = Buffer.from('.lock', 'latin1');

/** Bytes never allowed in a ref name: controls, DEL, space and `~^:?[\`. */
const FORBIDDEN = new Uint8Array(256);
for (let b = 0; b < 0x20; b++) FORBIDDEN[b] = 1;
for (const c of ' ~^:?[\\\x7f') FORBIDDEN[c.charCodeAt(0)] = 1;

/**
 * Why `name` is not a valid ref name, or `undefined` when it is. The reasons are phrased for a
 * person ("contains \"..\"").
 */
export function refNameProblem(name: Uint8Array | string, rules: RefNameRules = {}): string | undefined {
  const bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
  if (bytes.length === 0) return 'is empty';
  if (bytes.length === 1 && bytes[0] === AT) return 'is "@"';
  let starAllowed = rules.refspecPattern === true;
  let components = 0;
  let componentStart = 0;
  let last = 0;
  for (let i = 0; i <= bytes.length; i++) {
    const byte = i < bytes.length ? bytes[i]! : SLASH;
    if (byte === SLASH) {
      const length = i - componentStart;
      if (length === 0) return i === 0 ? 'starts with "/"' : i === bytes.length ? 'ends with "/"' : 'contains "//"';
      if (bytes[componentStart] === DOT) return 'has a component starting with "."';
      if (length >= LOCK_SUFFIX.length && endsWithLock(bytes, i)) return 'has a component ending with ".lock"';
      components++;
      componentStart = i + 1;
      last = 0;
      continue;
    }
    if (FORBIDDEN[byte] === 1) return `contains ${describeByte(byte)}`;
    if (byte === DOT && last === DOT) return 'contains ".."';
    if (byte === OPEN_BRACE && last === AT) return 'contains "@{"';
    if (byte === STAR) {
      if (!starAllowed) return 'contains "*"';
      starAllowed = false;
    }
    last = byte;
  }
  if (bytes[bytes.length - 1] === DOT) return 'ends with "."';
  if (rules.allowOneLevel !== true && components < 2) return 'has only one component (expected e.g. "refs/heads/<name>")';
  return undefined;
}

export function isValidRefName(name: Uint8Array | string, rules: RefNameRules = {}): boolean {
  return refNameProblem(name, rules) === undefined;
}

/**
 * Why git's receive-pack would refuse to update `name` ("funny refname"), or `undefined`: it must
 * start with `refs/` and the rest must be a valid ref name of at least two components.
 */
export function pushedRefNameProblem(name: Uint8Array | string): string | undefined {
  const bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
  if (!startsWithRefs(bytes)) return 'does not start with "refs/"';
  const problem = refNameProblem(bytes.subarray(5));
  return problem === undefined ? undefined : `${problem} after "refs/"`;
}

function startsWithRefs(bytes: Uint8Array): boolean {
  return bytes.length > 5 && bytes[0] === 0x72 && bytes[1] === 0x65 && bytes[2] === 0x66 && bytes[3] === 0x73 && bytes[4] === SLASH;
}

function endsWithLock(bytes: Uint8Array, end: number): boolean {
  for (let i = 0; i < LOCK_SUFFIX.length; i++) {
    if (bytes[end - LOCK_SUFFIX.length + i] !== LOCK_SUFFIX[i]) return false;
  }
  return true;
}

function describeByte(byte: number): string {
  if (byte < 0x20 || byte === 0x7f) return `the control character 0x${byte.toString(16).padStart(2, '0')}`;
  if (byte === 0x20) return 'a space';
  return `"${String.fromCharCode(byte)}"`;
}
