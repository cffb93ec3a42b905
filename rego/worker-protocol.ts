import type { PolicyErrorCode } from './errors.js';
import type { WasmModule } from './wasm-runtime.js';

/** Messages from the pool to an evaluation worker. */
export type WorkerRequest =
  | { type: 'load'; module: WasmModule; data: Record<string, unknown> }
  | { type: 'evaluate'; id: number; entrypoint: string; inputJson: string; nowNs: number };

/** Messages from an evaluation worker back to the pool. */
export type WorkerReply =
  | { type: 'loaded'; entrypoints: string[]; builtins: string[] }
  | { type: 'load-failed'; code: PolicyErrorCode; message: string }
  /** The result set as JSON text: a string is copied between threads, an object is serialized. */
  | { type: 'result'; id: number; resultSetJson: string; evaluationNs: number }
  | { type: 'error'; id: number; code: PolicyErrorCode; message: string };
