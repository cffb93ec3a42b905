import { createRequire } from 'node:module';
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { PREPARE_ENTRYPOINT } from './entrypoints.js';
import { PolicyError, errorMessage } from './errors.js';
import { resultOf } from './result-set.js';
import { createHostBuiltins, supportedBuiltinNames, type EvaluationClock } from './host-builtins.js';
import type { WasmInstance, WasmMemory, WasmModule } from './wasm-runtime.js';

/** WASM memory limits of one policy instance, in 64 KiB pages. */
export const WASM_INITIAL_PAGES = 32;
export const WASM_MAXIMUM_PAGES = 8192; // 512 MiB

// The package's ES entry exports only `loadPolicy` (async); the synchronous loader is on its CommonJS entry.
const { loadPolicySync } = createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as typeof import('@open-policy-agent/opa-wasm');

interface OpaWasmExports {
  builtins(): number;
  opa_json_dump(addr: number): number;
  /** ABI 1.2: parse the input at inputAddr, evaluate, return the address of the result set's JSON. */
  opa_eval(reserved: number, entrypoint: number, dataAddr: number, inputAddr: number, inputLength: number, heapAddr: number, format: number): number;
}

/**
 * What opa-wasm 1.10's LoadedPolicy keeps about its instance, read here to evaluate without its
 * `evaluate`: that one encodes the input into a fresh buffer, copies it into WASM memory, finds
 * the result's end with a JavaScript loop and parses the result, which the engine's worker would
 * then clone into a message. Checked before use (`directEvaluation`); without it `evaluate` is used.
 */
interface LoadedPolicyState {
  minorVersion: number;
  mem: WasmMemory & { grow(pages: number): number };
  dataAddr: number;
  dataHeapPtr: number;
  entrypoints: Record<string, number>;
  wasmInstance: { exports: OpaWasmExports };
}

const WASM_PAGE_BYTES = 64 * 1024;

function directEvaluation(loaded: LoadedPolicy): LoadedPolicyState | undefined {
  const state = loaded as unknown as Partial<LoadedPolicyState>;
  const usable =
    typeof state.minorVersion === 'number' &&
    state.minorVersion >= 2 &&
    typeof state.dataAddr === 'number' &&
    typeof state.dataHeapPtr === 'number' &&
    state.mem?.buffer instanceof ArrayBuffer &&
    typeof state.mem.grow === 'function' &&
    typeof state.wasmInstance?.exports?.opa_eval === 'function';
  return usable ? (state as LoadedPolicyState) : undefined;
}

function readCString(memory: WasmMemory, address: number): string {
  const bytes = new Uint8Array(memory.buffer);
  let end = address;
  while (end < bytes.length && bytes[end] !== 0) end += 1;
  return new TextDecoder().decode(bytes.subarray(address, end));
}

/**
 * One instantiated policy module with its data, evaluated synchronously on the calling thread.
 * The engine runs these inside worker threads so that a slow policy can be cut off.
 */
export class WasmPolicy {
  private readonly clock: EvaluationClock = { nowNs: 0 };
  private readonly loaded: LoadedPolicy;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  private constructor(module: WasmModule | Uint8Array, data: Record<string, unknown>) {
    const builtins = createHostBuiltins(this.clock);
    try {
      this.loaded = loadPolicySync(
        module as Parameters<typeof loadPolicySync>[0],
        { initial: WASM_INITIAL_PAGES, maximum: WASM_MAXIMUM_PAGES },
        builtins as Record<string, (...args: unknown[]) => unknown>,
      );
    } catch (error) {
      throw new PolicyError('POLICY_BUNDLE_INVALID', `the policy module cannot be instantiated: ${errorMessage(error)}`, { cause: error });
    }
    const unsupported = this.requiredBuiltins().filter((name) => !supportedBuiltinNames().has(name));
    if (unsupported.length > 0) {
      throw new PolicyError(
        'POLICY_BUILTIN_UNSUPPORTED',
        `the policy uses built-in functions that WASM policies cannot call here: ${unsupported.join(', ')}. ` +
          'Rewrite those rules without them (see docs/policies.md, "Built-in functions").',
      );
    }
    try {
      this.loaded.setData(data);
    } catch (error) {
      throw new PolicyError('POLICY_DATA_INVALID', `the policy data cannot be loaded: ${errorMessage(error)}`, { cause: error });
    }
    if (this.hasEntrypoint(PREPARE_ENTRYPOINT)) this.prepare(data);
  }

  /**
   * Evaluates gitgate/prepare once on the loaded data and stores its value at
   * data.gitgate.prepared (replacing whatever the data had there), so that every decision finds
   * precomputed what depends on data alone. A failure refuses the policy, as bad data does.
   */
  private prepare(data: Record<string, unknown>): void {
    try {
      const resultSet = this.loaded.evaluate(undefined, PREPARE_ENTRYPOINT) as Array<{ result?: unknown }> | undefined;
      const prepared = (Array.isArray(resultSet) ? resultSet[0]?.result : undefined) ?? {};
      const gitgate = data.gitgate !== null && typeof data.gitgate === 'object' && !Array.isArray(data.gitgate) ? data.gitgate : {};
      this.loaded.setData({ ...data, gitgate: { ...gitgate, prepared } });
    } catch (error) {
      // opa-wasm throws plain objects with a message for aborts and missing builtins.
      const message = error instanceof Error ? error.message : errorMessage((error as { message?: unknown })?.message ?? error);
      throw new PolicyError('POLICY_DATA_INVALID', `the policy data cannot be prepared (${PREPARE_ENTRYPOINT}): ${message}`, { cause: error });
    }
  }

  static load(module: WasmModule | Uint8Array, data: Record<string, unknown>): WasmPolicy {
    return new WasmPolicy(module, data);
  }

  /** Builtins the module calls out to the host for. */
  requiredBuiltins(): string[] {
    const instance = this.loaded.wasmInstance as unknown as WasmInstance;
    const exports = instance.exports as unknown as OpaWasmExports;
    const text = readCString(this.loaded.mem as unknown as WasmMemory, exports.opa_json_dump(exports.builtins()));
    return Object.keys(JSON.parse(text) as Record<string, number>).sort();
  }

  entrypoints(): string[] {
    return Object.keys(this.loaded.entrypoints as Record<string, number>).sort();
  }

  hasEntrypoint(entrypoint: string): boolean {
    return Object.hasOwn(this.loaded.entrypoints as Record<string, number>, entrypoint);
  }

  /**
   * Evaluates one entry point on an input given as JSON text; returns the entry point's value,
   * or undefined when it is undefined for this input.
   */
  evaluate(entrypoint: string, inputJson: string, nowNs: number): unknown {
    return resultOf(this.evaluateToJson(entrypoint, inputJson, nowNs));
  }

  /**
   * Evaluates one entry point on an input given as JSON text or as its UTF-8 bytes; returns the
   * JSON text of OPA's result set (`[{"result": ...}]`, or `[]` when the entry point is undefined
   * for this input). Text crosses threads far more cheaply than the object it describes.
   */
  evaluateToJson(entrypoint: string, input: string | Uint8Array, nowNs: number): string {
    if (!this.hasEntrypoint(entrypoint)) {
      throw new PolicyError(
        'POLICY_ENTRYPOINT_MISSING',
        `the loaded policy has no entry point ${entrypoint} (it has: ${this.entrypoints().join(', ') || 'none'})`,
      );
    }
    this.clock.nowNs = nowNs;
    const state = directEvaluation(this.loaded);
    if (state === undefined) {
      const bytes = typeof input === 'string' ? this.encoder.encode(input) : input.slice();
      return JSON.stringify(this.loaded.evaluate(bytes.buffer, entrypoint) ?? []);
    }
    // The input goes straight into WASM memory above the data, as opa-wasm's own ABI 1.2 path
    // puts it.
    const inputAddress = state.dataHeapPtr;
    const inputLength = this.writeInput(state, input, inputAddress);
    const resultAddress = state.wasmInstance.exports.opa_eval(0, state.entrypoints[entrypoint]!, state.dataAddr, inputAddress, inputLength, inputAddress + inputLength, 0);
    const memory = new Uint8Array(state.mem.buffer);
    const end = memory.indexOf(0, resultAddress);
    return this.decoder.decode(memory.subarray(resultAddress, end < 0 ? memory.length : end));
  }

  /** Writes the input's UTF-8 bytes at `address`, growing the memory when they do not fit; returns how many. */
  private writeInput(state: LoadedPolicyState, input: string | Uint8Array, address: number): number {
    const growFor = (bytes: number): void => {
      const missing = address + bytes - state.mem.buffer.byteLength;
      if (missing > 0) state.mem.grow(Math.ceil(missing / WASM_PAGE_BYTES));
    };
    if (typeof input !== 'string') {
      growFor(input.length);
      new Uint8Array(state.mem.buffer, address).set(input);
      return input.length;
    }
    let written = this.encoder.encodeInto(input, new Uint8Array(state.mem.buffer, address));
    if (written.read < input.length) {
      growFor(input.length * 3);
      written = this.encoder.encodeInto(input, new Uint8Array(state.mem.buffer, address));
    }
    return written.written;
  }
}
