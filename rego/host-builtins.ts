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

/**
 * The strings of a `strings.any_prefix_match` / `any_suffix_match` operand, which OPA accepts as
 * a string, an array or a set of strings (a set reaches the host as a JSON array).
 */
function stringOperand(name: string, position: number, value: unknown): readonly string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) return value;
  throw new TypeError(`${name}: operand ${position} must be a string, or an array or set of strings`);
}

/** OPA's strings.any_prefix_match: true when any of the strings starts with any of the prefixes. */
export function anyPrefixMatch(search: unknown, base: unknown): boolean {
  const strings = stringOperand('strings.any_prefix_match', 1, search);
  const prefixes = stringOperand('strings.any_prefix_match', 2, base);
  for (const prefix of prefixes) {
    for (const text of strings) if (text.startsWith(prefix)) return true;
  }
  return false;
}

/** OPA's strings.any_suffix_match: true when any of the strings ends with any of the suffixes. */
export function anySuffixMatch(search: unknown, base: unknown): boolean {
  const strings = stringOperand('strings.any_suffix_match', 1, search);
  const suffixes = stringOperand('strings.any_suffix_match', 2, base);
  if (strings.length === 0 || suffixes.length === 0) return false;
  // Suffixes by their last UTF-16 unit, so that each string is compared only with those that can match.
  const byLast = new Map<number, string[]>();
  for (const suffix of suffixes) {
    if (suffix === '') return true;
    const last = suffix.charCodeAt(suffix.length - 1);
    const group = byLast.get(last);
    if (group) group.push(suffix);
    else byLast.set(last, [suffix]);
  }
  for (const text of strings) {
    const group = text === '' ? undefined : byLast.get(text.charCodeAt(text.length - 1));
    if (group) for (const suffix of group) if (text.endsWith(suffix)) return true;
  }
  return false;
}

export function createHostBuiltins(clock: EvaluationClock): Record<string, HostBuiltin> {
  return {
    'time.now_ns': () => clock.nowNs,
    // Not compiled into OPA's WASM runtime; the default library uses them to find out with one
    // call whether any path of a push can match a set of globs (lib/paths.rego, may_match_any).
    'strings.any_prefix_match': anyPrefixMatch,
    'strings.any_suffix_match': anySuffixMatch,
  };
}

export function supportedBuiltinNames(): Set<string> {
  return new Set([...OPA_WASM_JS_BUILTINS, ...Object.keys(createHostBuiltins({ nowNs: 0 }))]);
}
