import { createHash, randomUUID } from 'node:crypto';
import { PolicyError, errorMessage, isPolicyError } from './errors.js';
import { readBundleFile, type PolicyBundle } from './bundle-reader.js';
import { compilePolicyDirectory } from './bundle-builder.js';
import { overlayData, overlayDigest } from './data-overlay.js';
import { denial, normalizeDecision } from './decision.js';
import { entrypointOf, type PolicyKind } from './entrypoints.js';
import type { OpaBinary } from './opa-binary.js';
import { policyDirectoryRevision } from './policy-source.js';
import { PolicyWorkerPool, type PolicyWorkerPoolOptions } from './policy-worker-pool.js';
import { sha256OfFile } from './opa-binary.js';
import { prepareContractValidators, validateContractDocument } from './schema/validator.js';
import type { Decision, DecisionRecord } from './schema/types.js';
import { compileWasmModule } from './wasm-runtime.js';

/** Where policies come from: a directory compiled with opa at start, or a prebuilt bundle file. */
export type PolicySource = { kind: 'directory'; path: string } | { kind: 'bundle'; path: string };

export interface PolicyEngineOptions extends PolicyWorkerPoolOptions {
  source: PolicySource;
  /** Laid over the bundle's data (objects merge, other values replace): deployment settings. */
  dataOverrides?: Record<string, unknown>;
  /** Validate every input against its JSON Schema first; an invalid input is denied (default true). */
  validateInput?: boolean;
  /** Entry points to compile when the source is a directory (default: push, fetch, api). */
  entrypoints?: readonly string[];
  opa?: OpaBinary;
}

export interface ReloadOutcome {
  status: 'reloaded' | 'unchanged' | 'refused';
  /** The revision serving after the reload. */
  revision: string;
  previousRevision: string;
  error?: PolicyError;
}

export interface EvaluateOptions {
  /** The evaluation time (what time.now_ns returns); now by default, the recorded one for a replay. */
  now?: Date;
}

interface ActivePolicy {
  revision: string;
  /** What identifies the source content: the directory revision or the bundle file's sha256. */
  sourceId: string;
  pool: PolicyWorkerPool;
}

/**
 * Evaluates gateway requests against the loaded policy. `evaluate` never throws: a policy that
 * is missing, slow, broken or returns nonsense yields a denial with a stable code (fail closed).
 * `reload` swaps in a new policy atomically, or refuses it and keeps the last good one.
 */
export class PolicyEngine {
  private active: ActivePolicy;
  private reloading: Promise<ReloadOutcome> | undefined;
  private reloadAgain = false;
  private closed = false;

  private constructor(private readonly options: PolicyEngineOptions, active: ActivePolicy) {
    this.active = active;
  }

  /** Loads the policy; throws a PolicyError when it cannot (the gateway must not start without one). */
  static async start(options: PolicyEngineOptions): Promise<PolicyEngine> {
    if (options.validateInput !== false) prepareContractValidators();
    return new PolicyEngine(options, await loadActivePolicy(options));
  }

  get revision(): string {
    return this.active.revision;
  }

  get source(): PolicySource {
    return this.options.source;
  }

  async evaluate(kind: PolicyKind, input: unknown, options: EvaluateOptions = {}): Promise<DecisionRecord> {
    const started = process.hrtime.bigint();
    const now = options.now ?? new Date();
    const entrypoint = entrypointOf(kind);
    const inputJson = safeStringify(input);
    const requestId = requestIdOf(input);
    let inputDigest: string | undefined;
    const digestOfInput = (): string => (inputDigest ??= `sha256:${createHash('sha256').update(inputJson ?? '').digest('hex')}`);
    const record = (result: Decision, evalNs: number, revision: string, error?: PolicyError): DecisionRecord => ({
      decision_id: randomUUID(),
      timestamp: now.toISOString(),
      kind,
      path: entrypoint,
      ...(requestId === undefined ? {} : { request_id: requestId }),
      bundle: { revision },
      input_digest: digestOfInput(),
      result,
      ...(error === undefined ? {} : { error: { code: error.code, message: error.message } }),
      metrics: { timer_eval_ns: evalNs, timer_total_ns: Number(process.hrtime.bigint() - started) },
    });
    const failClosed = (error: PolicyError, revision: string): DecisionRecord =>
      record(
        denial(error.code, `${error.message}. gitgate refuses what it cannot evaluate; if this persists, tell the policy owners (policy revision ${revision.slice(0, 12)}).`),
        0,
        revision,
        error,
      );

    if (this.closed) return failClosed(new PolicyError('POLICY_ENGINE_CLOSED', 'the policy engine is shut down'), this.active.revision);
    if (inputJson === undefined) {
      return failClosed(new PolicyError('POLICY_INPUT_INVALID', 'the input cannot be serialized to JSON'), this.active.revision);
    }
    // Take the active policy and submit in the same tick: a concurrent reload cannot drop this evaluation.
    const active = this.active;
    const pending = active.pool.evaluate(entrypoint, inputJson, now.getTime() * 1e6);
    // While a worker evaluates, this thread checks the input against its schema and hashes it. An
    // invalid input is denied as before; what the policy made of it is dropped.
    digestOfInput();
    if (this.options.validateInput !== false) {
      const validation = validateContractDocument(kind, input);
      if (!validation.valid) {
        pending.catch(() => undefined);
        const problems = validation.errors.slice(0, 5).join('; ');
        return failClosed(new PolicyError('POLICY_INPUT_INVALID', `the ${kind} input does not match its schema (version 1): ${problems}`), active.revision);
      }
    }
    try {
      const evaluation = await pending;
      return record(normalizeDecision(evaluation.result, entrypoint), evaluation.evaluationNs, active.revision);
    } catch (error) {
      const failure = isPolicyError(error) ? error : new PolicyError('POLICY_EVALUATION_FAILED', errorMessage(error), { cause: error });
      return failClosed(failure, active.revision);
    }
  }

  /**
   * Loads the source again. Unchanged content is a no-op; a policy that fails to compile or load
   * is refused and the current one keeps serving. Concurrent calls share one reload, plus one more
   * if changes arrived while it ran.
   */
  reload(): Promise<ReloadOutcome> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = this.reloadOnce().finally(() => {
      this.reloading = undefined;
      if (this.reloadAgain && !this.closed) {
        this.reloadAgain = false;
        void this.reload();
      }
    });
    return this.reloading;
  }

  /** Stops taking evaluations, finishes the running ones, ends the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reloading?.catch(() => undefined);
    await this.active.pool.close();
  }

  private async reloadOnce(): Promise<ReloadOutcome> {
    const previous = this.active;
    if (this.closed) {
      const error = new PolicyError('POLICY_ENGINE_CLOSED', 'the policy engine is shut down');
      return { status: 'refused', revision: previous.revision, previousRevision: previous.revision, error };
    }
    try {
      if ((await sourceIdOf(this.options.source)) === previous.sourceId) {
        return { status: 'unchanged', revision: previous.revision, previousRevision: previous.revision };
      }
      const next = await loadActivePolicy(this.options);
      if (this.closed) {
        await next.pool.close();
        throw new PolicyError('POLICY_ENGINE_CLOSED', 'the policy engine was shut down during the reload');
      }
      this.active = next;
      void previous.pool.close();
      return { status: 'reloaded', revision: next.revision, previousRevision: previous.revision };
    } catch (error) {
      const refused = isPolicyError(error) ? error : new PolicyError('POLICY_BUNDLE_INVALID', errorMessage(error), { cause: error });
      return { status: 'refused', revision: previous.revision, previousRevision: previous.revision, error: refused };
    }
  }
}

async function sourceIdOf(source: PolicySource): Promise<string> {
  if (source.kind === 'directory') return policyDirectoryRevision(source.path);
  try {
    return await sha256OfFile(source.path);
  } catch (error) {
    throw new PolicyError('POLICY_SOURCE_NOT_FOUND', `cannot read policy bundle '${source.path}': ${errorMessage(error)}`, { cause: error });
  }
}

async function loadBundle(options: PolicyEngineOptions): Promise<{ bundle: PolicyBundle; sourceId: string }> {
  const { source } = options;
  if (source.kind === 'directory') {
    const bundle = await compilePolicyDirectory(source.path, { entrypoints: options.entrypoints, opa: options.opa });
    return { bundle, sourceId: bundle.revision };
  }
  const bundle = await readBundleFile(source.path);
  return { bundle, sourceId: bundle.digest };
}

async function loadActivePolicy(options: PolicyEngineOptions): Promise<ActivePolicy> {
  const { bundle, sourceId } = await loadBundle(options);
  let module;
  try {
    module = compileWasmModule(bundle.wasm);
  } catch (error) {
    throw new PolicyError('POLICY_BUNDLE_INVALID', `the bundle's WASM module does not compile: ${errorMessage(error)}`, { cause: error });
  }
  const overrides = options.dataOverrides;
  const hasOverrides = overrides !== undefined && Object.keys(overrides).length > 0;
  const data = hasOverrides ? overlayData(bundle.data, overrides) : bundle.data;
  const pool = await PolicyWorkerPool.start({ module, data }, options);
  const revision = hasOverrides ? `${bundle.revision}+data.${overlayDigest(overrides)}` : bundle.revision;
  return { revision, sourceId, pool };
}

function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function requestIdOf(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const request = (input as { request?: unknown }).request;
  if (typeof request !== 'object' || request === null) return undefined;
  const id = (request as { id?: unknown }).id;
  return typeof id === 'string' ? id : undefined;
}
