import { readFileSync } from 'node:fs';

/** Where a secret is read when it is needed (so it can be rotated without a restart); never logged. */
export type SecretSource = { kind: 'env'; name: string } | { kind: 'file'; path: string };

/**
 * The secret now: the variable's value as set, or the file's contents trimmed. When it cannot be
 * read, throws what `unavailable` makes of the reason: `unset` for a variable that is unset or
 * empty, else the file's error code.
 */
export function readSecretSource(source: SecretSource, unavailable: (reason: string) => Error): string {
  if (source.kind === 'env') {
    const value = process.env[source.name];
    if (value === undefined || value === '') throw unavailable('unset');
    return value;
  }
  try {
    return readFileSync(source.path, 'utf8').trim();
  } catch (error) {
    throw unavailable((error as NodeJS.ErrnoException).code ?? 'error');
  }
}
