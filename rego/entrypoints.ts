/** The kinds of request the gateway asks policy about, and the Rego entry point of each. */
export type PolicyKind = 'push' | 'fetch' | 'api';

export const POLICY_KINDS: readonly PolicyKind[] = ['push', 'fetch', 'api'];

export function entrypointOf(kind: PolicyKind): string {
  return `gitgate/${kind}`;
}

export const POLICY_ENTRYPOINTS: readonly string[] = POLICY_KINDS.map(entrypointOf);

export function isPolicyKind(value: unknown): value is PolicyKind {
  return typeof value === 'string' && (POLICY_KINDS as readonly string[]).includes(value);
}

/**
 * The optional entry point a policy may define (package gitgate.prepare) for what can be worked
 * out from data alone: the gateway evaluates it once, without input, whenever it loads the policy
 * and its data, and stores its value at `data.gitgate.prepared` for the decisions to use.
 */
export const PREPARE_ENTRYPOINT = 'gitgate/prepare';
