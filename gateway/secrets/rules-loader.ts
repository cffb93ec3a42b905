import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SecretsError } from './errors.js';
import { compileRuleSet, type CompiledRuleSet } from './compiled-rules.js';
import type { SecretRulesDocument } from './rule-types.js';
import { validateRulesDocument } from './rules-schema.js';

const BUILTIN_RELATIVE_PATH = join('policies', 'secrets', 'rules.json');

/** The shipped rules file, found by walking up from this module (works from sources and from dist/). */
export function builtinRulesPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, BUILTIN_RELATIVE_PATH);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new SecretsError('SECRETS_RULES_NOT_FOUND', `the built-in ${BUILTIN_RELATIVE_PATH} was not found above this module`);
    }
    dir = parent;
  }
}

/** Reads and validates one rules document (not merged, not compiled). */
export function readRulesDocument(path: string): SecretRulesDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SecretsError('SECRETS_RULES_NOT_FOUND', `cannot read secret rules file ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseRulesDocument(text, path);
}

export function parseRulesDocument(text: string, source: string): SecretRulesDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SecretsError('SECRETS_RULES_INVALID_JSON', `secret rules in ${source} are not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return validateRulesDocument(parsed, source);
}

/**
 * Applies a team's document on top of a base: rules with the same id replace the base rule,
 * new ids are added, `disable` switches rules off, allowlists and placeholders add up.
 */
export function mergeRulesDocuments(base: SecretRulesDocument, overlay: SecretRulesDocument): SecretRulesDocument {
  const overlayIds = new Set(overlay.rules.map((r) => r.id));
  return {
    version: 1,
    disable: [...(base.disable ?? []), ...(overlay.disable ?? [])],
    allowlist: {
      regexes: [...(base.allowlist?.regexes ?? []), ...(overlay.allowlist?.regexes ?? [])],
      stopwords: [...(base.allowlist?.stopwords ?? []), ...(overlay.allowlist?.stopwords ?? [])],
      paths: [...(base.allowlist?.paths ?? []), ...(overlay.allowlist?.paths ?? [])],
    },
    placeholders: [...(base.placeholders ?? []), ...(overlay.placeholders ?? [])],
    rules: [...base.rules.filter((r) => !overlayIds.has(r.id)), ...overlay.rules],
  };
}

let builtinDocument: SecretRulesDocument | undefined;

export function builtinRulesDocument(): SecretRulesDocument {
  builtinDocument ??= readRulesDocument(builtinRulesPath());
  return builtinDocument;
}

/** A document resolved against the built-in set when it says `"extends": "builtin"`. */
export function resolveRulesDocument(document: SecretRulesDocument): SecretRulesDocument {
  return document.extends === 'builtin' ? mergeRulesDocuments(builtinRulesDocument(), document) : document;
}

/** The compiled rule set from a file, or the built-in set when no file is given. */
export function loadRuleSet(rulesFile?: string): CompiledRuleSet {
  const document = rulesFile === undefined ? builtinRulesDocument() : resolveRulesDocument(readRulesDocument(rulesFile));
  return compileRuleSet(document);
}
