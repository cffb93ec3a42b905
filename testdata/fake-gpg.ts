import { chmodSync, writeFileSync } from 'node:fs';

/** The armored block every signature made by the stand-in gpg program contains. */
export const FAKE_SIGNATURE = '-----BEGIN PGP SIGNATURE-----\n\nZmFrZQ==\n-----END PGP SIGNATURE-----\n';

/**
 * Writes a `gpg.program` stand-in at `path`: it reports success the way gpg does and prints a
 * fixed armored block, so `git commit -S`, `git tag -s` and `git push --signed` run without keys.
 * Only the bytes git writes matter to the tests, not whether the signature verifies.
 */
export function writeFakeGpgProgram(path: string): string {
  writeFileSync(
    path,
    "#!/bin/sh\ncat >/dev/null\nprintf '\\n[GNUPG:] SIG_CREATED D 1 8 00 1700000000 ABCDEF\\n' >&2\n" +
      `printf -- '${FAKE_SIGNATURE.replaceAll('\n', '\\n')}'\n`,
  );
  chmodSync(path, 0o755);
  return path;
}
