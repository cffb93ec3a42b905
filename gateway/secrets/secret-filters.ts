import type { CompiledAllowlist, CompiledRuleSet, CompiledSecretRule } from './compiled-rules.js';
import { shannonEntropy } from './entropy.js';

function allowlisted(allowlist: CompiledAllowlist, secret: string, lowerSecret: string): boolean {
  for (const word of allowlist.stopwords) if (lowerSecret.includes(word)) return true;
  for (const regex of allowlist.regexes) if (regex.test(secret)) return true;
  return false;
}

/**
 * Whether a candidate secret value is really reported: long enough to carry information, not a
 * placeholder (`${VAR}`, `{{ x }}`, `<your-key>`, `xxxx`, `EXAMPLE`), above the rule's entropy
 * floor, and not allowlisted by the rule or globally.
 */
export function isReportableSecret(ruleSet: CompiledRuleSet, rule: CompiledSecretRule, secret: string): boolean {
  if (secret.length < 4) return false;
  for (const placeholder of ruleSet.placeholders) if (placeholder.test(secret)) return false;
  if (rule.minEntropy > 0 && shannonEntropy(secret) < rule.minEntropy) return false;
  const lower = secret.toLowerCase();
  return !allowlisted(rule.allowlist, secret, lower) && !allowlisted(ruleSet.allowlist, secret, lower);
}

/** Whether a rule looks at a file with this path at all. */
export function ruleAppliesToPath(ruleSet: CompiledRuleSet, rule: CompiledSecretRule, path: string): boolean {
  if (rule.onlyPaths !== undefined && !rule.onlyPaths.some((p) => p.test(path))) return false;
  if (rule.allowlist.paths.some((p) => p.test(path))) return false;
  return !ruleSet.allowlist.paths.some((p) => p.test(path));
}
