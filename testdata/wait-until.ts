/**
 * Waits until `check` holds, asking every `everyMs` (default 50); throws `timed out waiting for
 * <what>` after `ms` (default 20 s), so that a test fails saying what never happened.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, options: { ms?: number; everyMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (options.ms ?? 20_000);
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 50));
  }
}
