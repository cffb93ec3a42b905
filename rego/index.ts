/**
 * gitgate's policy library: find and verify opa, build WASM bundles, evaluate them in bounded
 * worker threads, reload them safely, and the versioned input/decision contract.
 * It imports nothing from the gateway.
 */
export { PolicyError, isPolicyError, type PolicyErrorCode } from './errors.js';
export { locateOpa, PINNED_OPA_PACKAGE, PINNED_OPA_SHA256, type OpaBinary } from './opa-binary.js';
export { runOpa, type OpaRunResult } from './opa-cli.js';
export { buildBundle, compilePolicyDirectory, type BuiltBundle, type BuildBundleOptions } from './bundle-builder.js';
export { readBundle, readBundleFile, type PolicyBundle } from './bundle-reader.js';
export { policyDirectoryRevision } from './policy-source.js';
export { POLICY_ENTRYPOINTS, POLICY_KINDS, entrypointOf, isPolicyKind, type PolicyKind } from './entrypoints.js';
export {
  PolicyEngine,
  type EvaluateOptions,
  type PolicyEngineOptions,
  type PolicySource,
  type ReloadOutcome,
} from './policy-engine.js';
export { PolicyReloader, type PolicyReloaderOptions, type ReloadTrigger } from './policy-reloader.js';
export { normalizeDecision } from './decision.js';
export { overlayData } from './data-overlay.js';
export { testPolicies, checkPolicies, type PolicyTestReport, type PolicyCheckReport } from './policy-toolchain.js';
export { validateContractDocument, CONTRACT_SCHEMAS, type ContractDocument, type ValidationResult } from './schema/validator.js';
export type * from './schema/types.js';
export { INPUT_VERSION } from './schema/types.js';
