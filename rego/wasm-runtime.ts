/**
 * The few WebAssembly types this library touches. The project compiles without the DOM lib, which
 * is where TypeScript declares `WebAssembly`, so they are declared here, narrowly.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

/** A compiled module: opaque, shareable between worker threads with postMessage. */
export type WasmModule = object & { readonly __wasmModule?: never };

interface WasmGlobal {
  Module: new (bytes: Uint8Array) => WasmModule;
}

const wasmGlobal = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;

/** Compiles WASM bytes once, so that every worker can instantiate without recompiling. */
export function compileWasmModule(bytes: Uint8Array): WasmModule {
  return new wasmGlobal.Module(bytes);
}
