/**
 * Built-in functions that OPA's WASM compiler leaves to the host. opa-wasm implements a few in
 * JavaScript itself (listed in OPA_WASM_JS_BUILTINS); the rest a policy needs must come from here,
 * or the bundle is refused at load time (POLICY_BUILTIN_UNSUPPORTED) rather than failing mid-request.
 */
export type HostBuiltin = (...args: unknown[]) => unknown;

/** Builtins opa-wasm 1.10 implements in JavaScript (note: its `sprintf` has no `%q`). */
export const OPA_WASM_JS_BUILTINS: readonly string[] = [
  'sprintf',
  'regex.split',
  'json.is_valid',
  'yaml.is_valid',
  'yaml.marshal',
  'yaml.unmarshal',
];

/** The clock of one evaluation: `time.now_ns` is constant within it, as in OPA, and replayable. */
export interface EvaluationClock {
  nowNs: number;
}

export function createHostBuiltins(clock: EvaluationClock): Record<string, HostBuiltin> {
  return {
    'time.now_ns': () => clock.nowNs,
  };
}

export function supportedBuiltinNames(): Set<string> {
  return new Set([...OPA_WASM_JS_BUILTINS, ...Object.keys(createHostBuiltins({ nowNs: 0 }))]);
}
