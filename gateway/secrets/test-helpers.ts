import { loadRuleSet } from './rules-loader.js';
import { SecretScanner, type FileScanResult, type SecretScannerOptions } from './secret-scanner.js';
import type { SecretFinding } from './finding.js';
import { scanLargeText } from './large-text-scan.js';
import { SeededTextRandom, ALNUM } from '../../testdata/secrets/seeded-text-random.js';

export const TEST_FINGERPRINT_KEY = 'test-fingerprint-key-0123456789';

let shared: SecretScanner | undefined;

/** The built-in rules with a test key (shared: compiling 140 RE2 patterns takes a moment). */
export function builtinScanner(options: Partial<SecretScannerOptions> = {}): SecretScanner {
  if (Object.keys(options).length > 0) return new SecretScanner(loadRuleSet(), { fingerprintKey: TEST_FINGERPRINT_KEY, ...options });
  shared ??= new SecretScanner(loadRuleSet(), { fingerprintKey: TEST_FINGERPRINT_KEY });
  return shared;
}

/** A fake GitHub classic token, made at run time. */
export function fakeGithubToken(seed = 1): string {
  return ['gh', 'p_'].join('') + new SeededTextRandom(seed).chars(ALNUM, 36);
}

/** Findings as `rule path:line:column`, the way archive tests compare them. */
export function findingPlaces(findings: readonly SecretFinding[]): string[] {
  return findings.map((f) => `${f.ruleId} ${f.path}:${f.line}:${f.column}`);
}

/** A small settings file whose third line, column 14, holds a fake GitHub token. */
export function settingsWithToken(seed: number): string {
  return `# settings\nPORT=8080\nGITHUB_TOKEN=${fakeGithubToken(seed)}\n`;
}

/** One blob scanned as a push scans it (scanLargeText: archives opened), against its old version when given. */
export function scanBlobAsPushed(path: string, newContent: Buffer, oldContent?: Buffer, scanner = builtinScanner()): Promise<FileScanResult> {
  return scanLargeText(scanner, { path, newContent, ...(oldContent === undefined ? {} : { oldContent }) }, async () => {});
}
