import { Worker } from 'node:worker_threads';
import { PolicyError, errorMessage, type PolicyErrorCode } from './errors.js';
import { resultOf } from './result-set.js';
import type { WasmModule } from './wasm-runtime.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

export interface PolicyWorkerPoolOptions {
  /** Worker threads evaluating in parallel (default 2). */
  size?: number;
  /** Longest one evaluation may run before its worker is terminated and it is denied (default 1000 ms). */
  timeoutMs?: number;
  /** Evaluations that may wait for a worker before new ones are refused (default 1000). */
  maxQueue?: number;
}

export interface LoadablePolicy {
  module: WasmModule;
  data: Record<string, unknown>;
}

export interface WorkerEvaluation {
  result: unknown;
  /** Time spent inside the WASM evaluation itself, in nanoseconds. */
  evaluationNs: number;
}

interface Job {
  id: number;
  entrypoint: string;
  inputJson: string;
  nowNs: number;
  resolve: (value: WorkerEvaluation) => void;
  reject: (error: PolicyError) => void;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  job?: Job;
  /**
   * Where this thread writes the inputs this worker reads: one buffer, shared and reused, so an
   * input is neither serialized into a message nor left for either thread's garbage collector.
   */
  input: { buffer: SharedArrayBuffer; bytes: Uint8Array; sent: boolean };
  detach: () => void;
}

/** The first size of a worker's input buffer; it is replaced by a larger one when an input does not fit. */
const INITIAL_INPUT_BUFFER_BYTES = 256 * 1024;
/** A buffer grown past this for one large input is dropped once that evaluation ends. */
const RETAINED_INPUT_BUFFER_BYTES = 4 * 1024 * 1024;
const utf8 = new TextEncoder();

function sharedInputBuffer(bytes: number): Slot['input'] {
  const buffer = new SharedArrayBuffer(bytes);
  return { buffer, bytes: new Uint8Array(buffer), sent: false };
}

const WORKER_URL = new URL(`./evaluation-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * Evaluation worker threads that share one compiled policy. Each worker runs one evaluation at a
 * time under a deadline; a worker that overruns it or crashes is terminated and replaced, and only
 * the evaluation it was running fails. `close()` lets queued and running evaluations finish first.
 */
export class PolicyWorkerPool {
  readonly entrypoints: string[];
  readonly builtins: string[];
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly timeoutMs: number;
  private readonly maxQueue: number;
  private nextId = 1;
  private spawning = 0;
  private closing = false;
  private drained?: () => void;

  private constructor(
    private readonly policy: LoadablePolicy,
    options: PolicyWorkerPoolOptions,
    loaded: { entrypoints: string[]; builtins: string[] },
  ) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.maxQueue = options.maxQueue ?? 1000;
    this.entrypoints = loaded.entrypoints;
    this.builtins = loaded.builtins;
  }

  /** Starts the workers and loads the policy in each; rejects (and cleans up) when it does not load. */
  static async start(policy: LoadablePolicy, options: PolicyWorkerPoolOptions = {}): Promise<PolicyWorkerPool> {
    const size = Math.max(1, options.size ?? 2);
    const started = await Promise.allSettled(Array.from({ length: size }, () => spawnWorker(policy)));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    if (failure || workers.length === 0) {
      await Promise.all(workers.map((w) => w.worker.terminate()));
      throw failure?.reason instanceof PolicyError ? failure.reason : new PolicyError('POLICY_BUNDLE_INVALID', String(failure?.reason));
    }
    const pool = new PolicyWorkerPool(policy, options, workers[0] as SpawnedWorker);
    for (const spawned of workers) pool.adopt(spawned.worker);
    return pool;
  }

  /** Evaluations running or waiting. */
  get pending(): number {
    return this.queue.length + this.slots.filter((s) => s.job).length;
  }

  evaluate(entrypoint: string, inputJson: string, nowNs: number): Promise<WorkerEvaluation> {
    if (this.closing) return Promise.reject(new PolicyError('POLICY_ENGINE_CLOSED', 'the policy worker pool is closed'));
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(
        new PolicyError('POLICY_OVERLOADED', `${this.queue.length} policy evaluations are already waiting; try again shortly`),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, entrypoint, inputJson, nowNs, resolve, reject });
      this.pump();
    });
  }

  /** Stops taking evaluations, lets the queued and running ones finish, then ends the workers. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.pending > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  private adopt(worker: Worker): void {
    const onMessage = (message: WorkerReply): void => this.onReply(slot, message);
    const onError = (error: Error): void => this.onWorkerLost(slot, `the evaluation worker failed: ${error.message}`);
    const onExit = (code: number): void => this.onWorkerLost(slot, `the evaluation worker exited with code ${code}`);
    const slot: Slot = {
      worker,
      input: sharedInputBuffer(INITIAL_INPUT_BUFFER_BYTES),
      detach: () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      },
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.unref();
    this.slots.push(slot);
    this.pump();
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job) continue;
      const job = this.queue.shift();
      if (!job) break;
      slot.job = job;
      job.timer = setTimeout(() => this.onTimeout(slot, job), this.timeoutMs);
      const inputLength = writeInput(slot, job.inputJson);
      const request: WorkerRequest = { type: 'evaluate', id: job.id, entrypoint: job.entrypoint, inputLength, nowNs: job.nowNs };
      if (!slot.input.sent) {
        request.inputBuffer = slot.input.buffer;
        slot.input.sent = true;
      }
      slot.worker.postMessage(request);
    }
    if (this.slots.length === 0 && this.spawning === 0) {
      for (const job of this.queue.splice(0)) {
        job.reject(new PolicyError('POLICY_EVALUATION_FAILED', 'no policy evaluation worker is running'));
      }
    }
    this.checkDrained();
  }

  private finish(slot: Slot, job: Job): void {
    clearTimeout(job.timer);
    if (slot.job === job) slot.job = undefined;
    if (slot.input.buffer.byteLength > RETAINED_INPUT_BUFFER_BYTES) slot.input = sharedInputBuffer(INITIAL_INPUT_BUFFER_BYTES);
  }

  private onReply(slot: Slot, message: WorkerReply): void {
    const job = slot.job;
    if (!job || !('id' in message) || message.id !== job.id) return;
    this.finish(slot, job);
    if (message.type === 'result') {
      let result: unknown;
      try {
        result = resultOf(message.resultSetJson);
      } catch (error) {
        job.reject(new PolicyError('POLICY_EVALUATION_FAILED', `the policy returned a result that is not JSON: ${errorMessage(error)}`));
        this.pump();
        return;
      }
      job.resolve({ result, evaluationNs: message.evaluationNs });
    }
    else if (message.type === 'error') job.reject(new PolicyError(message.code, `policy evaluation failed: ${message.message}`));
    this.pump();
  }

  private onTimeout(slot: Slot, job: Job): void {
    this.finish(slot, job);
    job.reject(
      new PolicyError('POLICY_TIMEOUT', `policy evaluation took longer than ${this.timeoutMs} ms and was stopped`),
    );
    this.replace(slot);
  }

  private onWorkerLost(slot: Slot, reason: string): void {
    if (!this.slots.includes(slot)) return;
    const job = slot.job;
    if (job) {
      this.finish(slot, job);
      job.reject(new PolicyError('POLICY_EVALUATION_FAILED', reason));
    }
    this.replace(slot);
  }

  private replace(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    slot.detach();
    void slot.worker.terminate();
    if (this.closing) {
      this.pump();
      return;
    }
    this.spawning += 1;
    spawnWorker(this.policy).then(
      (spawned) => {
        this.spawning -= 1;
        if (this.closing) void spawned.worker.terminate();
        else this.adopt(spawned.worker);
        this.pump();
      },
      () => {
        this.spawning -= 1;
        this.pump();
      },
    );
  }

  private checkDrained(): void {
    if (this.closing && this.drained && this.pending === 0) {
      const resolve = this.drained;
      this.drained = undefined;
      resolve();
    }
  }
}

/**
 * Writes the input's UTF-8 bytes into the slot's input buffer (its worker is idle: it reads the
 * buffer only while evaluating); a larger buffer replaces it when they do not fit. Returns how many.
 */
function writeInput(slot: Slot, inputJson: string): number {
  const written = utf8.encodeInto(inputJson, slot.input.bytes);
  if (written.read === inputJson.length) return written.written;
  slot.input = sharedInputBuffer(Math.max(2 * slot.input.buffer.byteLength, inputJson.length * 3));
  return utf8.encodeInto(inputJson, slot.input.bytes).written;
}

interface SpawnedWorker {
  worker: Worker;
  entrypoints: string[];
  builtins: string[];
}

function spawnWorker(policy: LoadablePolicy): Promise<SpawnedWorker> {
  const worker = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: 512 } });
  return new Promise((resolve, reject) => {
    // Only our own listeners are removed: Worker keeps internal ones that start its message port.
    const detach = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const fail = (code: PolicyErrorCode, message: string): void => {
      detach();
      void worker.terminate();
      reject(new PolicyError(code, message));
    };
    const onMessage = (message: WorkerReply): void => {
      if (message.type === 'loaded') {
        detach();
        resolve({ worker, entrypoints: message.entrypoints, builtins: message.builtins });
      } else if (message.type === 'load-failed') fail(message.code, message.message);
      else fail('POLICY_BUNDLE_INVALID', `unexpected message from the evaluation worker: ${message.type}`);
    };
    const onError = (error: Error): void => fail('POLICY_BUNDLE_INVALID', `the evaluation worker failed to start: ${error.message}`);
    const onExit = (code: number): void => fail('POLICY_BUNDLE_INVALID', `the evaluation worker exited with code ${code} while loading`);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    const request: WorkerRequest = { type: 'load', module: policy.module, data: policy.data };
    worker.postMessage(request);
  });
}
