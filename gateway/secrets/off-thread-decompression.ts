import { Worker } from 'node:worker_threads';

/**
 * Decoding xz, zstd and bzip2 for the secret scan on a thread of its own. Their decoders are
 * JavaScript and WebAssembly that run on the thread calling them, and one call can take hundreds
 * of milliseconds (a bzip2 block of runs expands to 46 MB in one call: 270 ms, during which the
 * gateway answered nothing else). gzip is not here: Node's zlib already inflates on libuv's
 * threads.
 *
 * One worker decodes one file at a time, in the order asked; the bytes go to it and come back
 * moved, not copied again. A file that takes longer than the time limit has its worker ended and
 * is unreadable (the scan then refuses what holds it); a worker that fails or exits fails only
 * the file it was decoding. The worker starts with the first file and ends after a while idle.
 */

export type DecompressionFormat = 'xz' | 'zstd' | 'bzip2';

/** What the worker is asked: decode `content` (its own buffer, moved), stopping past `maxBytes`. */
export interface DecompressionJob {
  id: number;
  format: DecompressionFormat;
  content: Uint8Array;
  maxBytes: number;
}

export type DecompressionReply =
  | { kind: 'ready' }
  | { id: number; kind: 'decoded'; buffer: ArrayBuffer; length: number }
  | { id: number; kind: 'past-limit' }
  | { id: number; kind: 'failed'; message: string };

export interface DecompressionThreadOptions {
  /** Longest one file may take to decode (default 60 s; decoding 64 MiB of random bytes from bzip2 takes about 10 s here). */
  timeLimitMs?: number;
  /** How long the worker is kept once it has nothing to do (default 30 s). */
  idleMs?: number;
}

const WORKER_URL = new URL(`./decompression-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** How long a new worker may take to load its decoders. */
const WORKER_START_LIMIT_MS = 30_000;

/** Decoding makes short-lived garbage; a small young generation keeps the worker's memory flat (as for the pack index worker). */
const WORKER_YOUNG_GENERATION_MB = 4;

interface PendingJob {
  job: DecompressionJob;
  resolve: (bytes: Buffer | undefined) => void;
  reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

export class DecompressionThread {
  private worker: Worker | undefined;
  /** Whether the worker has loaded its decoders: a file's time starts then, not while it loads. */
  private workerReady = false;
  private running: PendingJob | undefined;
  private readonly queue: PendingJob[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly timeLimitMs: number;
  private readonly idleMs: number;

  constructor(options: DecompressionThreadOptions = {}) {
    this.timeLimitMs = options.timeLimitMs ?? 60_000;
    this.idleMs = options.idleMs ?? 30_000;
  }

  /**
   * The content decompressed whole, or undefined once it passes `maxBytes`; rejects with the
   * decoder's reason for data it refuses, or with why the worker could not finish.
   */
  decompress(format: DecompressionFormat, content: Buffer, maxBytes: number): Promise<Buffer | undefined> {
    // Its own buffer: a view posted as it is would copy all of the buffer it lies in.
    const own = new Uint8Array(content.length);
    own.set(content);
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, format, content: own, maxBytes }, resolve, reject });
      this.pump();
    });
  }

  /** The worker's thread id while there is one (each new worker has a new id). */
  get workerThreadId(): number | undefined {
    return this.worker?.threadId;
  }

  /** Ends the worker now; files still waiting or decoding fail. */
  async close(): Promise<void> {
    for (const pending of this.queue.splice(0)) pending.reject(new Error('the decompression thread was closed'));
    const worker = this.worker;
    if (worker === undefined) return;
    clearTimeout(this.idleTimer);
    this.lose(worker, 'the decompression thread was closed');
    await worker.terminate();
  }

  private pump(): void {
    if (this.running !== undefined) return;
    const next = this.queue.shift();
    if (next === undefined) {
      this.idle();
      return;
    }
    clearTimeout(this.idleTimer);
    const worker = (this.worker ??= this.spawn());
    worker.ref(); // a file being decoded keeps the process alive (`gitgate scan` waits for it)
    this.running = next;
    worker.postMessage(next.job, [next.job.content.buffer as ArrayBuffer]);
    if (this.workerReady) this.startClock(worker, next);
  }

  private startClock(worker: Worker, pending: PendingJob): void {
    pending.timer = setTimeout(() => this.lose(worker, `decoding it took longer than ${this.timeLimitMs / 1000} s, the most gitgate allows`), this.timeLimitMs);
  }

  private idle(): void {
    const worker = this.worker;
    if (worker === undefined) return;
    worker.unref();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.worker !== worker || this.running !== undefined) return;
      this.worker = undefined;
      void worker.terminate();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    this.workerReady = false;
    // A worker that does not even load is lost too (its file fails, not waits forever).
    const loading = setTimeout(() => this.lose(worker, `the decompression thread did not start within ${WORKER_START_LIMIT_MS / 1000} s`), WORKER_START_LIMIT_MS);
    worker.once('exit', () => clearTimeout(loading));
    worker.once('message', () => clearTimeout(loading));
    worker.on('message', (reply: DecompressionReply) => this.onReply(worker, reply));
    worker.on('error', (error: Error) => this.lose(worker, `the decompression thread failed: ${error.message}`));
    worker.on('exit', (code: number) => this.lose(worker, `the decompression thread exited with code ${code}`));
    return worker;
  }

  private onReply(worker: Worker, reply: DecompressionReply): void {
    const running = this.running;
    if (worker !== this.worker) return;
    if (reply.kind === 'ready') {
      this.workerReady = true;
      if (running !== undefined) this.startClock(worker, running);
      return;
    }
    if (running === undefined || reply.id !== running.job.id) return;
    clearTimeout(running.timer);
    this.running = undefined;
    if (reply.kind === 'decoded') running.resolve(Buffer.from(reply.buffer, 0, reply.length));
    else if (reply.kind === 'past-limit') running.resolve(undefined);
    else running.reject(new Error(reply.message));
    this.pump();
  }

  /** The worker is gone or must go: the file it was decoding fails, the next starts a new one. */
  private lose(worker: Worker, reason: string): void {
    if (worker !== this.worker) return; // one already replaced (its exit comes after)
    this.worker = undefined;
    void worker.terminate();
    const running = this.running;
    this.running = undefined;
    if (running !== undefined) {
      clearTimeout(running.timer);
      running.reject(new Error(reason));
    }
    this.pump();
  }
}

/** The gateway's one decompression thread, shared by every scan. */
export const decompressionThread = new DecompressionThread();
