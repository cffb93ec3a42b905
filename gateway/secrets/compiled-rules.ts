import RE2 from 're2';
import { SecretsError } from './errors.js';
import type {
  SecretAllowlistDefinition,
  SecretDetectorKind,
  SecretRuleCategory,
  SecretRuleDefinition,
  SecretRuleSeverity,
  SecretRulesDocument,
} from './rule-types.js';

export interface CompiledAllowlist {
  regexes: RE2[];
  /** Lower-cased. */
  stopwords: string[];
  paths: RE2[];
}

export interface RuleWindow {
  before: number;
  after: number;
  multiline: boolean;
}

/** A rule ready to run: patterns compiled with RE2 (linear time, no backtracking). */
export interface CompiledSecretRule {
  readonly id: string;
  readonly description: string;
  readonly category: SecretRuleCategory;
  readonly severity: SecretRuleSeverity;
  readonly tags: readonly string[];
  readonly detector: SecretDetectorKind;
  readonly keywords: readonly string[];
  /** Global + indices (`gd`) pattern over byte windows; undefined for structured detectors. */
  readonly pattern: RE2 | undefined;
  /** The pattern source as written, for tools such as ripgrep. */
  readonly source: string | undefined;
  readonly secretGroup: number | string;
  readonly minEntropy: number;
  /** Undefined: every path. */
  readonly onlyPaths: readonly RE2[] | undefined;
  readonly keyNames: RE2 | undefined;
  readonly window: RuleWindow;
  readonly allowlist: CompiledAllowlist;
  /** Specific rules win over generic ones when their secrets overlap. */
  readonly specificity: number;
}

export interface CompiledRuleSet {
  readonly rules: readonly CompiledSecretRule[];
  readonly placeholders: readonly RE2[];
  readonly allowlist: CompiledAllowlist;
}

const DEFAULT_WINDOW: RuleWindow = { before: 256, after: 512, multiline: false };

function compilePattern(source: string, flags: string, what: string): RE2 {
  try {
    return new RE2(source, flags);
  } catch (error) {
    throw new SecretsError(
      'SECRETS_RULE_BAD_PATTERN',
      `${what}: the pattern is not valid RE2 syntax (${(error as Error).message}). ` +
        'RE2 has no lookaround and no backreferences, and counted repetition stops at 1000.',
      { cause: error },
    );
  }
}

function compileAllowlist(definition: SecretAllowlistDefinition | undefined, what: string): CompiledAllowlist {
  return {
    regexes: (definition?.regexes ?? []).map((p) => compilePattern(p, '', `${what} allowlist regex`)),
    stopwords: (definition?.stopwords ?? []).map((w) => w.toLowerCase()),
    paths: (definition?.paths ?? []).map((p) => compilePattern(p, '', `${what} allowlist path`)),
  };
}

/** Counts capturing groups of an RE2 pattern source (character classes and escapes skipped). */
function countGroups(source: string): { count: number; names: string[] } {
  const names = [...source.matchAll(/\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]!);
  let count = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      // skip a character class
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++;
      while (i < source.length && source[i] !== ']') {
        if (source[i] === '\\') i++;
        i++;
      }
      continue;
    }
    if (c === '(' && (source[i + 1] !== '?' || source[i + 2] === 'P' || source[i + 2] === '<')) count++;
  }
  return { count, names };
}

function resolveSecretGroup(definition: SecretRuleDefinition): number | string {
  const { count, names } = countGroups(definition.regex ?? '');
  const group = definition.secretGroup ?? (count > 0 ? 1 : 0);
  const valid = typeof group === 'number' ? group <= count : names.includes(group);
  if (!valid) {
    throw new SecretsError(
      'SECRETS_RULE_BAD_GROUP',
      `rule '${definition.id}': secretGroup ${JSON.stringify(group)} does not exist in its pattern ` +
        `(${count} groups${names.length > 0 ? `, named ${names.join(', ')}` : ''})`,
    );
  }
  return group;
}

export function compileRule(definition: SecretRuleDefinition): CompiledSecretRule {
  const what = `rule '${definition.id}'`;
  const detector = definition.detector ?? 'regex';
  const pattern = definition.regex === undefined ? undefined : compilePattern(definition.regex, 'gd', what);
  return {
    id: definition.id,
    description: definition.description,
    category: definition.category,
    severity: definition.severity,
    tags: definition.tags ?? [],
    detector,
    keywords: definition.keywords.map((k) => k.toLowerCase()),
    pattern,
    source: definition.regex,
    secretGroup: pattern ? resolveSecretGroup(definition) : 0,
    minEntropy: definition.entropy ?? 0,
    onlyPaths: definition.paths?.map((p) => compilePattern(p, '', `${what} paths`)),
    keyNames: definition.keyNames === undefined ? undefined : compilePattern(definition.keyNames, '', `${what} keyNames`),
    window: { ...DEFAULT_WINDOW, ...definition.window },
    allowlist: compileAllowlist(definition.allowlist, what),
    specificity: definition.category === 'generic' ? 0 : definition.category === 'database' ? 1 : 2,
  };
}

/** Compiles a validated document (already merged with the built-in set where it extends it). */
export function compileRuleSet(document: SecretRulesDocument): CompiledRuleSet {
  const seen = new Set<string>();
  const disabled = new Set(document.disable ?? []);
  const rules: CompiledSecretRule[] = [];
  for (const definition of document.rules) {
    if (seen.has(definition.id)) {
      throw new SecretsError('SECRETS_RULE_DUPLICATE_ID', `rule id '${definition.id}' is defined twice; ids must be unique`);
    }
    seen.add(definition.id);
    if (!disabled.has(definition.id)) rules.push(compileRule(definition));
  }
  return {
    rules,
    placeholders: (document.placeholders ?? []).map((p) => compilePattern(p, '', 'placeholder')),
    allowlist: compileAllowlist(document.allowlist, 'global'),
  };
}
