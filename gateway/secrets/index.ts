/**
 * Secret detection and masking. What the gateway calls:
 * - on the push path: `scanLargeText(scanner, { path, oldContent, newContent, commit }, pause)` per changed
 *   file (`scanAddedLines` for files within the scanner's size, slices with turns for larger ones);
 * - for everything it shows: `masker.maskString` (git messages), `pinoMaskingOptions(masker)` (logs),
 *   `masker.maskValue` (audit records), `new JsonMaskingStream(masker)` (API responses).
 */
export { SecretsError, isSecretsError, type SecretsErrorCode } from './errors.js';
export type {
  SecretRulesDocument,
  SecretRuleDefinition,
  SecretRuleCategory,
  SecretRuleSeverity,
  SecretAllowlistDefinition,
} from './rule-types.js';
export { secretRulesDocumentSchema, validateRulesDocument } from './rules-schema.js';
export { compileRuleSet, type CompiledRuleSet, type CompiledSecretRule } from './compiled-rules.js';
export {
  builtinRulesPath,
  builtinRulesDocument,
  readRulesDocument,
  parseRulesDocument,
  mergeRulesDocuments,
  resolveRulesDocument,
  loadRuleSet,
} from './rules-loader.js';
export { FingerprintKey, redactedPreview, type SecretFinding } from './finding.js';
export {
  SecretScanner,
  ALLOW_MARKER,
  type SecretScannerOptions,
  type ScanTarget,
  type FileScanResult,
  type SkipReason,
  type BinaryFileMode,
  BINARY_FILE_MODES,
} from './secret-scanner.js';
export type { ByteRange, SecretSpan } from './secret-span.js';
export { scanAddedLines, scanLines, type BlobChange } from './added-lines.js';
export { scanLargeText } from './large-text-scan.js';
export { topLevelArchiveContext, type ArchiveScanContext } from './archive-scan.js';
export { SecretMasker, type SecretMaskerOptions } from './secret-masker.js';
export { JsonMaskingStream, type JsonMaskingStreamOptions } from './json-masking-stream.js';
export { pinoMaskingOptions, DEFAULT_REDACT_PATHS, type PinoMaskingConfig } from './pino-masking.js';
