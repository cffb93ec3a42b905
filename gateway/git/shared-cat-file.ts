import { CatFileObjectSource, type GitObject } from './cat-file-object-source.js';

/** What a push reads upstream objects through. */
export interface GitObjectSource {
  /** The git process answering (shared between leases), once it has started. */
  readonly pid: number | undefined;
  read(id: string): Promise<GitObject | undefined>;
  /** Done with it (a shared process stays up for the next user). */
  close(): void;
}

/** A shared process is stopped once it has been idle this long. */
const IDLE_MS = 30_000;

interface SharedProcess {
  source: CatFileObjectSource;
  users: number;
  idleTimer: NodeJS.Timeout | undefined;
}

const shared = new Map<string, SharedProcess>();

/**
 * A `git cat-file --batch` on `gitDir`, shared by every push that reads that repository: starting
 * one costs a fork of the whole gateway process (7-25 ms on the development machine, blocking),
 * more than a small push spends on everything else. Sharing is safe: objects never change, and
 * git looks for new packs before it answers that an object is missing, so objects a mirror fetch
 * or an earlier push added are found. A process that fails is dropped; the next push starts another.
 */
export function leaseCatFile(gitDir: string): GitObjectSource {
  let entry = shared.get(gitDir);
  if (entry === undefined || entry.source.failed) {
    entry = { source: new CatFileObjectSource(gitDir), users: 0, idleTimer: undefined };
    shared.set(gitDir, entry);
  }
  const leased = entry;
  leased.users++;
  if (leased.idleTimer !== undefined) {
    clearTimeout(leased.idleTimer);
    leased.idleTimer = undefined;
  }
  if (leased.users === 1) leased.source.keepProcessAlive(true);
  let released = false;
  return {
    get pid() {
      return leased.source.pid;
    },
    read: (id) => leased.source.read(id),
    close: () => {
      if (released) return;
      released = true;
      leased.users--;
      if (leased.source.failed) {
        if (shared.get(gitDir) === leased) shared.delete(gitDir);
        leased.source.close();
        return;
      }
      if (leased.users > 0) return;
      leased.source.keepProcessAlive(false);
      leased.idleTimer = setTimeout(() => {
        if (shared.get(gitDir) === leased) shared.delete(gitDir);
        leased.source.close();
      }, IDLE_MS);
      leased.idleTimer.unref();
    },
  };
}

/** Stops every idle shared process (for shutdown and tests). */
export function closeIdleCatFiles(): void {
  for (const [gitDir, entry] of shared) {
    if (entry.users > 0) continue;
    if (entry.idleTimer !== undefined) clearTimeout(entry.idleTimer);
    shared.delete(gitDir);
    entry.source.close();
  }
}
