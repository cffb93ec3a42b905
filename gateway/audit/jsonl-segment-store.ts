import { createReadStream } from 'node:fs';
import { appendFile, mkdir, open, readdir, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { GENESIS_HASH, type AuditEvent } from './audit-types.js';
import type { AuditCheckpoint, AuditHead, AuditSegmentInfo, AuditStore, AuditStoreRecovery, StoredRecord } from './audit-store.js';
import { AuditError } from './errors.js';

export interface JsonlSegmentStoreOptions {
  /** The audit directory: `segments/` and `checkpoints.jsonl` live here. */
  directory: string;
  /** A segment is closed and a new one started once it reaches this size (default 64 MiB). */
  segmentBytes?: number;
  /** fsync after every append (default true). Only benchmarks and tests turn it off. */
  sync?: boolean;
}

const SEGMENT_NAME = /^(\d{12})\.jsonl$/;
export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(12, '0')}.jsonl`;
}

/**
 * The embedded audit store: newline-terminated JSON events in segment files named by their first
 * seq, appended and fsynced; a segment is closed when it reaches `segmentBytes`.
 */
export class JsonlSegmentStore implements AuditStore {
  readonly segmentsDirectory: string;
  readonly checkpointsFile: string;
  private readonly segmentBytes: number;
  private readonly sync: boolean;
  private readonly lockFile: string;
  private lockHeld = false;
  private handle: FileHandle | undefined;
  private currentBytes = 0;

  constructor(options: JsonlSegmentStoreOptions) {
    this.segmentsDirectory = join(options.directory, 'segments');
    this.checkpointsFile = join(options.directory, 'checkpoints.jsonl');
    this.lockFile = join(options.directory, 'writer.lock');
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.sync = options.sync ?? true;
  }

  async open(): Promise<{ head: AuditHead; recovery: AuditStoreRecovery }> {
    await mkdir(this.segmentsDirectory, { recursive: true, mode: 0o700 });
    await this.takeWriterLock();
    const segments = await this.segments();
    const last = segments.at(-1);
    const recovery: AuditStoreRecovery = { tornBytes: 0 };
    let head: AuditHead = { seq: 0, hash: GENESIS_HASH };
    if (last !== undefined) {
      const path = join(this.segmentsDirectory, last.name);
      const content = await readFile(path);
      let end = content.length;
      // A record is complete once its newline is written: anything after the last newline, or a
      // last line that is not a whole event, is the torn write of a crash.
      let complete = content.lastIndexOf(0x0a) + 1;
      while (complete > 0) {
        const start = content.lastIndexOf(0x0a, complete - 2) + 1;
        const event = parseEvent(content.subarray(start, complete - 1).toString('utf8'));
        if (event !== undefined) {
          head = { seq: event.seq, hash: event.hash };
          break;
        }
        complete = start;
      }
      if (complete < end) {
        const tornFile = `${path}.torn-${Date.now()}`;
        await writeFile(tornFile, content.subarray(complete), { mode: 0o600 });
        const handle = await open(path, 'r+');
        await handle.truncate(complete);
        await handle.sync();
        await handle.close();
        recovery.tornBytes = end - complete;
        recovery.tornFile = tornFile;
        end = complete;
      }
      if (head.seq === 0 && segments.length > 1) {
        // The last segment held nothing whole: the head is the end of the one before.
        const previous = await readFile(join(this.segmentsDirectory, segments.at(-2)!.name), 'utf8');
        const lines = previous.split('\n').filter((l) => l.length > 0);
        const event = parseEvent(lines.at(-1) ?? '');
        if (event !== undefined) head = { seq: event.seq, hash: event.hash };
      }
      this.handle = await open(path, 'a', 0o600);
      this.currentBytes = end;
    }
    return { head, recovery };
  }

  async append(events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      if (this.handle === undefined || this.currentBytes >= this.segmentBytes) await this.startSegment(events[0]!.seq);
      const text = events.map((event) => `${JSON.stringify(event)}\n`).join('');
      const bytes = Buffer.from(text, 'utf8');
      await this.handle!.write(bytes);
      if (this.sync) await this.handle!.datasync();
      this.currentBytes += bytes.length;
    } catch (error) {
      throw new AuditError('AUDIT_STORE_FAILED', `cannot write the audit log in ${this.segmentsDirectory}: ${(error as Error).message}`, { cause: error });
    }
  }

  async appendCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
    await appendFile(this.checkpointsFile, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
    if (this.sync) {
      const handle = await open(this.checkpointsFile, 'r');
      await handle.sync();
      await handle.close();
    }
  }

  async checkpoints(): Promise<AuditCheckpoint[]> {
    let text: string;
    try {
      text = await readFile(this.checkpointsFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: AuditCheckpoint[] = [];
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      try {
        out.push(JSON.parse(line) as AuditCheckpoint);
      } catch {
        // A torn last checkpoint (crash while writing it) is skipped; verification counts the rest.
      }
    }
    return out;
  }

  async segments(): Promise<AuditSegmentInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.segmentsDirectory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: AuditSegmentInfo[] = [];
    for (const name of names.sort()) {
      const match = SEGMENT_NAME.exec(name);
      if (match === null) continue;
      out.push({ name, firstSeq: Number(match[1]), bytes: (await stat(join(this.segmentsDirectory, name))).size });
    }
    return out;
  }

  async *records(options: { fromSegment?: string } = {}): AsyncIterable<StoredRecord> {
    const segments = await this.segments();
    let started = options.fromSegment === undefined;
    if (!started && !segments.some((s) => s.name === options.fromSegment)) {
      throw new AuditError('AUDIT_EVENT_INVALID', `no audit segment named ${options.fromSegment} in ${this.segmentsDirectory}`);
    }
    for (const segment of segments) {
      if (!started && segment.name !== options.fromSegment) continue;
      started = true;
      const lines = createInterface({ input: createReadStream(join(this.segmentsDirectory, segment.name), { encoding: 'utf8' }), crlfDelay: Infinity });
      let line = 0;
      for await (const text of lines) {
        line += 1;
        yield { segment: segment.name, line, text };
      }
    }
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
    if (this.lockHeld) await rm(this.lockFile, { force: true });
    this.lockHeld = false;
  }

  /**
   * One writer per audit directory: two would fork the chain. The lock names the writer's pid; a
   * lock left by a process that no longer runs (a crash) is taken over.
   */
  private async takeWriterLock(): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(this.lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        this.lockHeld = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const pid = Number((await readFile(this.lockFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && processRuns(pid)) {
        throw new AuditError('AUDIT_STORE_FAILED', `another gitgate process (pid ${pid}) writes the audit log in ${this.lockFile.slice(0, -'/writer.lock'.length)}; give each gateway its own audit.directory`);
      }
      await rm(this.lockFile, { force: true });
    }
    throw new AuditError('AUDIT_STORE_FAILED', `cannot take the audit writer lock ${this.lockFile}`);
  }

  private async startSegment(firstSeq: number): Promise<void> {
    await this.handle?.close();
    this.handle = await open(join(this.segmentsDirectory, segmentName(firstSeq)), 'a', 0o600);
    this.currentBytes = (await this.handle.stat()).size;
    if (this.sync) {
      // The new file's directory entry must survive a crash too.
      const directory = await open(this.segmentsDirectory, 'r');
      await directory.sync();
      await directory.close();
    }
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseEvent(text: string): AuditEvent | undefined {
  try {
    const value = JSON.parse(text) as AuditEvent;
    return typeof value === 'object' && value !== null && typeof value.seq === 'number' && typeof value.hash === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
