/**
 * glibc's malloc setting the gateway runs with. Node allocates buffers with malloc; glibc serves
 * one of 128 KiB or more from a mapping of its own, returned to the system when freed, but raises
 * that threshold (up to 32 MiB) each time such a buffer is freed. After a few large pushes the
 * decoder's and the spool's buffers of a few MiB then come from the main heap, which keeps what
 * they leave as holes. Measured with `npm run bench:proxy` (2026-11-25): RSS before the 500 MB push
 * 200-220 MB, peak 251-255 MB (target 250); with the threshold fixed at 128 KiB, 166-170 MB and
 * 231-234 MB, at the same speed.
 *
 * Read by glibc when the process starts, so it is set where the process is launched: the `gitgate`
 * command's `#!` line, `npm start`, and `startChildGateway`. `mallocSettingsMissing` tells the
 * gateway when it was started without it (a unit file running `node dist/gateway/cli.js`).
 */
export const MALLOC_ENV: Readonly<Record<string, string>> = Object.freeze({ MALLOC_MMAP_THRESHOLD_: '131072' });

/**
 * The names of MALLOC_ENV missing from `env`, when this process runs on glibc (other C libraries
 * do not read them): empty when all is set or nothing applies. The C library is asked only when
 * something is missing (Node's diagnostic report takes a few milliseconds to build).
 */
export function mallocSettingsMissing(env: NodeJS.ProcessEnv = process.env, glibcVersion: () => string | null = runtimeGlibcVersion): string[] {
  const missing = Object.keys(MALLOC_ENV).filter((name) => env[name] === undefined);
  return missing.length === 0 || glibcVersion() === null ? [] : missing;
}

/** The glibc this process runs on (Node's diagnostic report names it), or null on any other C library. */
function runtimeGlibcVersion(): string | null {
  if (process.platform !== 'linux') return null;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ?? null;
}
