import { loadRuleSet } from './rules-loader.js';
import { SecretScanner, type SecretScannerOptions } from './secret-scanner.js';
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
