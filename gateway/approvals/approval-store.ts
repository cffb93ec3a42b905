import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { appendFile, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { ApprovalError } from './approval-errors.js';
import type { ApprovalFileContent, ApprovalRequest } from './approval-types.js';

const ID_PATTERN = /^apr_[a-z2-7]{20}$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A new unguessable request id: `apr_` and 100 random bits in base32. */
export function newApprovalId(): string {
  const bytes = randomBytes(20);
  let id = 'apr_';
  for (let i = 0; i < 20; i++) id += BASE32[bytes[i]! & 31];
  return id;
}

export function isApprovalId(id: string): boolean {
  return ID_PATTERN.test(id);
}

const LOCK_RETRY_MS = 15;
const LOCK_WAIT_MS = 10_000;
/** A lock older than this was left by a process that died while holding it. */
const LOCK_STALE_MS = 30_000;

function storeError(action: string, error: unknown): ApprovalError {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new ApprovalError('APPROVAL_STORE_FAILED', `the approval store could not ${action} (${code})`, { cause: error });
}

/**
 * Approval requests kept as one JSON file each under `<dataDir>/approvals/requests`, written
 * atomically (temporary file, fsync, rename), with the quarantined push bytes and the masked file
 * contents beside them. Updates are serialised per request, within the process by a promise chain
 * and across processes (replicas sharing the directory, the CLI) by an exclusive lock file, so
 * two approvers at once both land.
 */
export class ApprovalStore {
  readonly requestsDir: string;
  readonly quarantineDir: string;
  readonly contentsDir: string;
  /** `<sha256 hex of the fingerprint>.ids`: the ids of every request made for it, one per line. */
  readonly fingerprintsDir: string;
  private readonly chains = new Map<string, Promise<unknown>>();
  /** Parsed requests by id with the file identity they were read from (every write renames a new file in). */
  private readonly cache = new Map<string, { stamp: string; request: ApprovalRequest }>();

  constructor(readonly root: string) {
    this.requestsDir = join(root, 'requests');
    this.quarantineDir = join(root, 'quarantine');
    this.contentsDir = join(root, 'contents');
    this.fingerprintsDir = join(root, 'fingerprints');
  }

  async init(): Promise<void> {
    try {
      for (const dir of [this.requestsDir, this.quarantineDir, this.contentsDir, this.fingerprintsDir]) await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw storeError('create its directories', error);
    }
  }

  private pathOf(id: string): string {
    if (!isApprovalId(id)) throw new ApprovalError('APPROVAL_NOT_FOUND', `'${id.slice(0, 40)}' is not an approval request id (they look like apr_ and 20 letters and digits)`);
    return join(this.requestsDir, `${id}.json`);
  }

  /** A request, or undefined when there is none with this id. */
  async get(id: string): Promise<ApprovalRequest | undefined> {
    const path = this.pathOf(id);
    let text: string;
    let stamp: string;
    try {
      const stats = await stat(path, { bigint: true });
      stamp = `${stats.ino}:${stats.mtimeNs}:${stats.size}`;
      const cached = this.cache.get(id);
      if (cached !== undefined && cached.stamp === stamp) return structuredClone(cached.request);
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storeError(`read ${id}`, error);
    }
    try {
      const request = JSON.parse(text) as ApprovalRequest;
      this.cache.set(id, { stamp, request: structuredClone(request) });
      return request;
    } catch (error) {
      throw storeError(`parse ${id}`, error);
    }
  }

  /** Every request, newest first. */
  async list(): Promise<ApprovalRequest[]> {
    let names: string[];
    try {
      names = await readdir(this.requestsDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storeError('list requests', error);
    }
    const requests: ApprovalRequest[] = [];
    for (const name of names) {
      if (!name.endsWith('.json') || !isApprovalId(name.slice(0, -5))) continue;
      const request = await this.get(name.slice(0, -5));
      if (request !== undefined) requests.push(request);
    }
    return requests.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  }

  /** Writes a new request (fails if the id exists) and indexes it by fingerprint. */
  async create(request: ApprovalRequest): Promise<void> {
    await this.serialised(request.id, async () => {
      if ((await this.get(request.id)) !== undefined) throw new ApprovalError('APPROVAL_STORE_FAILED', `approval request ${request.id} exists already`);
      await this.write(request);
      try {
        // One short O_APPEND write: atomic, so concurrent creators never interleave.
        await appendFile(this.fingerprintFile(request.fingerprint), `${request.id}\n`, { mode: 0o600 });
      } catch (error) {
        throw storeError(`index ${request.id}`, error);
      }
    });
  }

  private fingerprintFile(fingerprint: string): string {
    const hex = /^sha256:([0-9a-f]{64})$/.exec(fingerprint)?.[1] ?? createHash('sha256').update(fingerprint).digest('hex');
    return join(this.fingerprintsDir, `${hex}.ids`);
  }

  /** The requests made for a fingerprint (the same commits pushed again), oldest first: no scan of the store. */
  async byFingerprint(fingerprint: string): Promise<ApprovalRequest[]> {
    let text: string;
    try {
      text = await readFile(this.fingerprintFile(fingerprint), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storeError('read the fingerprint index', error);
    }
    const out: ApprovalRequest[] = [];
    for (const id of new Set(text.split('\n').filter(isApprovalId))) {
      const request = await this.get(id);
      if (request !== undefined) out.push(request);
    }
    return out;
  }

  /**
   * Reads the request, applies `change` and writes the result, with nobody else changing it in
   * between. `change` may throw (nothing is written) or return the request unchanged (nothing is
   * written either).
   */
  async update(id: string, change: (request: ApprovalRequest) => ApprovalRequest): Promise<ApprovalRequest> {
    return this.serialised(id, async () => {
      const current = await this.get(id);
      if (current === undefined) throw new ApprovalError('APPROVAL_NOT_FOUND', `there is no approval request ${id}`);
      const next = change(current);
      if (next !== current) await this.write(next);
      return next;
    });
  }

  private async serialised<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(id) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(async () => {
      const release = await this.lock(id);
      try {
        return await work();
      } finally {
        await release();
      }
    });
    this.chains.set(id, run);
    try {
      return await run;
    } finally {
      if (this.chains.get(id) === run) this.chains.delete(id);
    }
  }

  private async lock(id: string): Promise<() => Promise<void>> {
    const path = `${this.pathOf(id)}.lock`;
    const started = Date.now();
    for (;;) {
      try {
        const handle = await open(path, 'wx', 0o600);
        await handle.close();
        return async () => {
          await unlink(path).catch(() => undefined);
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw storeError(`lock ${id}`, error);
      }
      const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      if (Date.now() - started > LOCK_WAIT_MS) throw storeError(`lock ${id}`, new Error('another process holds the lock'));
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
    }
  }

  private async write(request: ApprovalRequest): Promise<void> {
    const path = this.pathOf(request.id);
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const handle = await open(temporary, 'w', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(request, null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw storeError(`write ${request.id}`, error);
    }
  }

  /** Keeps the push bytes (commands, then the pack) until the request is final. */
  async writeQuarantine(id: string, body: AsyncIterable<Buffer>): Promise<void> {
    const path = join(this.quarantineDir, `${id}.push`);
    try {
      await pipeline(Readable.from(body), createWriteStream(path, { mode: 0o600 }));
    } catch (error) {
      await rm(path, { force: true });
      throw storeError(`quarantine the push of ${id}`, error);
    }
  }

  /** The quarantined push bytes, or undefined when they are gone. */
  async readQuarantine(id: string): Promise<ReadStream | undefined> {
    const path = join(this.quarantineDir, `${isApprovalId(id) ? id : 'invalid'}.push`);
    try {
      await stat(path);
    } catch {
      return undefined;
    }
    return createReadStream(path);
  }

  async quarantineSize(id: string): Promise<number | undefined> {
    return stat(join(this.quarantineDir, `${isApprovalId(id) ? id : 'invalid'}.push`)).then((s) => s.size, () => undefined);
  }

  async removeQuarantine(id: string): Promise<void> {
    await rm(join(this.quarantineDir, `${isApprovalId(id) ? id : 'invalid'}.push`), { force: true });
  }

  async writeContents(id: string, contents: readonly ApprovalFileContent[]): Promise<void> {
    const path = join(this.contentsDir, `${id}.json`);
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      const handle = await open(temporary, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify(contents));
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw storeError(`keep the file contents of ${id}`, error);
    }
  }

  async readContents(id: string): Promise<ApprovalFileContent[]> {
    try {
      return JSON.parse(await readFile(join(this.contentsDir, `${isApprovalId(id) ? id : 'invalid'}.json`), 'utf8')) as ApprovalFileContent[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storeError(`read the file contents of ${id}`, error);
    }
  }
}
