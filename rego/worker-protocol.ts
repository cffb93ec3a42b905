import type { PolicyErrorCode } from './errors.js';
import type { WasmModule } from './wasm-runtime.js';

/** Messages from the pool to an evaluation worker. */
export type WorkerRequest =
  | { type: 'load'; module: WasmModule; data: Record<string, unknown> }
  /**
   * The input document is the first `inputLength` bytes (UTF-8 JSON) of the worker's input buffer,
   * a SharedArrayBuffer the pool writes and the worker reads; `inputBuffer` comes with the first
   * request and whenever the pool replaces the buffer with a larger one.
   */
  | { type: 'evaluate'; id: number; entrypoint: string; inputLength: number; inputBuffer?: SharedArrayBuffer; nowNs: number };

/** Messages from an evaluation worker back to the pool. */
export type WorkerReply =
  | { type: 'loaded'; entrypoints: string[]; builtins: string[] }
  | { type: 'load-failed'; code: PolicyErrorCode; message: string }
  /** The result set as JSON text: a string is copied between threads, an object is serialized. */
  | { type: 'result'; id: number; resultSetJson: string; evaluationNs: number }
  | { type: 'error'; id: number; code: PolicyErrorCode; message: string };
