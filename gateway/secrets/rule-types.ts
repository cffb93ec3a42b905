/** The rules document as it is written in `policies/secrets/rules.json` (data of the policy bundle). */

export type SecretRuleSeverity = 'low' | 'medium' | 'high' | 'critical';

/** What kind of secret a rule finds; the benchmark reports precision and recall per category. */
export type SecretRuleCategory = 'provider' | 'database' | 'private-key' | 'generic';

/** `regex`: an RE2 pattern over a window around a keyword. `xml-credential`: a structured look at XML. */
export type SecretDetectorKind = 'regex' | 'xml-credential';

export interface SecretAllowlistDefinition {
  /** RE2 patterns; a secret matching any of them is not reported. */
  regexes?: string[];
  /** Case-insensitive substrings; a secret containing any of them is not reported. */
  stopwords?: string[];
  /** RE2 patterns on the file path; matching files are not checked by this rule. */
  paths?: string[];
}

export interface SecretRuleWindowDefinition {
  /** Bytes before the keyword that the pattern may see (default 256). */
  before?: number;
  /** Bytes after the keyword that the pattern may see (default 512). */
  after?: number;
  /** When false (default) the window is also cut at the keyword's line ends. */
  multiline?: boolean;
}

export interface SecretRuleDefinition {
  id: string;
  description: string;
  category: SecretRuleCategory;
  severity: SecretRuleSeverity;
  tags?: string[];
  detector?: SecretDetectorKind;
  /** RE2 syntax (also understood by ripgrep). Required for the `regex` detector. */
  regex?: string;
  /** Capture group holding the secret: a number or a group name. Default: 1 when the pattern has groups, else 0. */
  secretGroup?: number | string;
  /** Lower-case literals; the rule runs only where one of them occurs (case-insensitive). */
  keywords: string[];
  /** Minimum Shannon entropy (bits per character) of the secret. */
  entropy?: number;
  /** Only files whose path matches one of these RE2 patterns are checked. */
  paths?: string[];
  /** `xml-credential` only: RE2 pattern on element and attribute names that hold a credential. */
  keyNames?: string;
  window?: SecretRuleWindowDefinition;
  allowlist?: SecretAllowlistDefinition;
}

export interface SecretRulesDocument {
  version: 1;
  /** `builtin`: this document adds to, replaces (same id) or disables rules of the shipped set. */
  extends?: 'builtin';
  /** Rule ids switched off. */
  disable?: string[];
  /** Applies to every rule. */
  allowlist?: SecretAllowlistDefinition;
  /** RE2 patterns: a secret matching one is a placeholder (`${VAR}`, `<your-key>`, `xxxx`, ...). */
  placeholders?: string[];
  rules: SecretRuleDefinition[];
}
