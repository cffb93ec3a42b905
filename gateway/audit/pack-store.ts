import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError } from './errors.js';

/** A stored pack file, named by the SHA-256 of its bytes. */
export interface StoredPack {
  sha256: string;
  bytes: number;
}

export const DEFAULT_PACK_RETENTION_DAYS = 90;
const PACK_NAME = /^([0-9a-f]{64})\.(pack|idx)$/;
/** Files being written: a pack before its rename, an idx before its rename. */
const INCOMING = /^\.incoming-|^[0-9a-f]{64}\.idx\.incoming-/;

/** A pack whose hash is already known (computed as it arrived) and that can write itself out. */
export interface KnownPack {
  sha256: string;
  bytes: number;
  /** Writes the bytes to the new file `path`, synced. */
  save(path: string): Promise<void>;
}

/** A renamed or linked file's directory entry must survive a crash too. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Packs kept for replay, by content hash: `<sha256>.pack` (and `<sha256>.idx` beside a replay
 * pack). Writing the same content twice keeps one file. Files older than the retention are pruned.
 */
export class AuditPackStore {
  constructor(
    readonly directory: string,
    private readonly retentionDays = DEFAULT_PACK_RETENTION_DAYS,
  ) {}

  packPath(sha256: string): string {
    return join(this.directory, `${sha256}.pack`);
  }

  idxPath(sha256: string): string {
    return join(this.directory, `${sha256}.idx`);
  }

  has(sha256: string): boolean {
    return existsSync(this.packPath(sha256));
  }

  /**
   * Where pushes spool packs too large for memory (created if missing): on this store's file
   * system, so that keeping one is a hard link, not a copy. `clearLeftovers` empties it.
   */
  spoolDirectory(): string {
    const directory = join(this.directory, '.spool');
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    return directory;
  }

  /**
   * Removes what a previous process left half-written by a crash: push spools, and packs or idx
   * files still being written (`.incoming-*`, `<sha256>.idx.incoming-*`). One writer only: call it
   * while holding the audit directory's writer lock.
   */
  clearLeftovers(): void {
    rmSync(join(this.directory, '.spool'), { recursive: true, force: true });
    let names: string[];
    try {
      names = readdirSync(this.directory);
    } catch {
      return; // no packs kept yet
    }
    for (const name of names) if (INCOMING.test(name)) rmSync(join(this.directory, name), { force: true });
  }

  /**
   * Keeps a pack hashed on arrival as `<sha256>.pack`, synced: no second read, hash or (when the
   * pack saves itself as a link) copy of its bytes before the push may go upstream.
   */
  async keep(pack: KnownPack): Promise<StoredPack> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    if (this.has(pack.sha256)) {
      const now = new Date();
      await utimes(this.packPath(pack.sha256), now, now); // seen again: retention counts from now
      return { sha256: pack.sha256, bytes: pack.bytes };
    }
    const temporary = join(this.directory, `.incoming-${randomUUID()}`);
    try {
      await pack.save(temporary);
      await rename(temporary, this.packPath(pack.sha256));
      await syncDirectory(this.directory);
    } catch (error) {
      await rm(temporary, { force: true });
      throw new AuditError('AUDIT_STORE_FAILED', `cannot keep a pack in ${this.directory}: ${(error as Error).message}`, { cause: error });
    }
    return { sha256: pack.sha256, bytes: pack.bytes };
  }

  /** Writes the stream to `<sha256>.pack` (synced), returning its hash and size. */
  async put(content: AsyncIterable<Buffer> | Iterable<Buffer>, idxFrom?: string): Promise<StoredPack> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const temporary = join(this.directory, `.incoming-${randomUUID()}`);
    const handle = await open(temporary, 'wx', 0o600);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of content) {
        hash.update(chunk);
        bytes += chunk.length;
        await handle.write(chunk);
      }
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temporary, { force: true });
      throw new AuditError('AUDIT_STORE_FAILED', `cannot keep a pack in ${this.directory}: ${(error as Error).message}`, { cause: error });
    }
    await handle.close();
    const sha256 = hash.digest('hex');
    if (this.has(sha256)) {
      await rm(temporary, { force: true });
      const now = new Date();
      await utimes(this.packPath(sha256), now, now); // seen again: retention counts from now
    } else await rename(temporary, this.packPath(sha256));
    if (idxFrom !== undefined) await rename(idxFrom, this.idxPath(sha256));
    await syncDirectory(this.directory);
    return { sha256, bytes };
  }

  async putFile(path: string, idxFrom?: string): Promise<StoredPack> {
    return this.put(chunksOfFile(path), idxFrom);
  }

  /** Hashes every kept pack: the names of those whose content no longer matches their name. */
  async verify(): Promise<{ checked: number; altered: string[] }> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch {
      return { checked: 0, altered: [] };
    }
    const altered: string[] = [];
    let checked = 0;
    for (const name of names.sort()) {
      const match = PACK_NAME.exec(name);
      if (match === null || match[2] !== 'pack') continue;
      checked += 1;
      if ((await sha256OfPackFile(join(this.directory, name))) !== match[1]) altered.push(name);
    }
    return { checked, altered };
  }

  /** Removes packs (and their idx) last written before the retention window; returns how many. */
  async prune(now = Date.now()): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch {
      return 0;
    }
    const cutoff = now - this.retentionDays * 86_400_000;
    let removed = 0;
    for (const name of names) {
      const match = PACK_NAME.exec(name);
      if (match === null || match[2] !== 'pack') continue;
      const path = join(this.directory, name);
      if ((await stat(path)).mtimeMs >= cutoff) continue;
      await rm(path, { force: true });
      await rm(this.idxPath(match[1]!), { force: true });
      removed += 1;
    }
    return removed;
  }
}

/** The SHA-256 of a pack file's bytes, the name the store keeps it under. */
export async function sha256OfPackFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of chunksOfFile(path)) hash.update(chunk);
  return hash.digest('hex');
}

const FILE_CHUNK_BYTES = 1024 * 1024;

/**
 * A file's bytes in chunks that all share one buffer: each is valid until the next is asked for,
 * which suits `put` and `sha256OfPackFile` (they are done with a chunk before they take the next). A read stream would
 * allocate a new buffer per 64 KiB, all garbage until the next GC: for a pack of hundreds of MB,
 * tens of MB of the process's peak memory.
 */
async function* chunksOfFile(path: string): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(FILE_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
