/**
 * The worker thread that evaluates policies. It holds one WasmPolicy and answers one request at
 * a time; the pool in policy-worker-pool.ts owns the deadline and terminates a worker that
 * overruns it (V8 interrupts even a tight WASM loop on terminate).
 */
import { parentPort } from 'node:worker_threads';
import { isPolicyError, errorMessage } from './errors.js';
import { WasmPolicy } from './wasm-policy.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

let policy: WasmPolicy | undefined;
let inputBuffer: SharedArrayBuffer | undefined;

function reply(message: WorkerReply): void {
  parentPort?.postMessage(message);
}

function handle(message: WorkerRequest): void {
  if (message.type === 'load') {
    try {
      policy = WasmPolicy.load(message.module, message.data);
      reply({ type: 'loaded', entrypoints: policy.entrypoints(), builtins: policy.requiredBuiltins() });
    } catch (error) {
      reply({ type: 'load-failed', code: isPolicyError(error) ? error.code : 'POLICY_BUNDLE_INVALID', message: errorMessage(error) });
    }
    return;
  }
  const started = process.hrtime.bigint();
  try {
    if (!policy) throw new Error('no policy loaded in this worker');
    inputBuffer = message.inputBuffer ?? inputBuffer;
    if (!inputBuffer) throw new Error('no input buffer was given to this worker');
    const resultSetJson = policy.evaluateToJson(message.entrypoint, new Uint8Array(inputBuffer, 0, message.inputLength), message.nowNs);
    reply({ type: 'result', id: message.id, resultSetJson, evaluationNs: Number(process.hrtime.bigint() - started) });
  } catch (error) {
    const code = isPolicyError(error) ? error.code : 'POLICY_EVALUATION_FAILED';
    // opa-wasm throws plain objects with a message for aborts and missing builtins.
    const text = error instanceof Error ? error.message : errorMessage((error as { message?: unknown })?.message ?? error);
    reply({ type: 'error', id: message.id, code, message: text });
  }
}

parentPort?.on('message', handle);
