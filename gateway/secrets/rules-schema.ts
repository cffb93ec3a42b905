import { Ajv, type ErrorObject } from 'ajv';
import { SecretsError } from './errors.js';
import type { SecretRulesDocument } from './rule-types.js';

const allowlistSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    regexes: { type: 'array', items: { type: 'string', minLength: 1 } },
    stopwords: { type: 'array', items: { type: 'string', minLength: 1 } },
    paths: { type: 'array', items: { type: 'string', minLength: 1 } },
  },
} as const;

const ruleSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'description', 'category', 'severity', 'keywords'],
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,63}$' },
    description: { type: 'string', minLength: 1 },
    category: { enum: ['provider', 'database', 'private-key', 'generic'] },
    severity: { enum: ['low', 'medium', 'high', 'critical'] },
    tags: { type: 'array', items: { type: 'string', minLength: 1 } },
    detector: { enum: ['regex', 'xml-credential'] },
    regex: { type: 'string', minLength: 1, maxLength: 4096 },
    secretGroup: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', minLength: 1 }] },
    keywords: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', minLength: 2, maxLength: 64, pattern: '^[^A-Z]+$' },
    },
    entropy: { type: 'number', minimum: 0, maximum: 8 },
    paths: { type: 'array', items: { type: 'string', minLength: 1 } },
    keyNames: { type: 'string', minLength: 1 },
    window: {
      type: 'object',
      additionalProperties: false,
      properties: {
        before: { type: 'integer', minimum: 0, maximum: 65536 },
        after: { type: 'integer', minimum: 1, maximum: 65536 },
        multiline: { type: 'boolean' },
      },
    },
    allowlist: allowlistSchema,
  },
  if: { properties: { detector: { const: 'xml-credential' } }, required: ['detector'] },
  then: { required: ['keyNames'] },
  else: { required: ['regex'] },
} as const;

/** JSON Schema of a rules document; editors and CI can use it too. */
export const secretRulesDocumentSchema = {
  $id: 'https://gitgate.dev/schema/secret-rules.v1.json',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'rules'],
  properties: {
    version: { const: 1 },
    extends: { const: 'builtin' },
    disable: { type: 'array', items: { type: 'string' } },
    allowlist: allowlistSchema,
    placeholders: { type: 'array', items: { type: 'string', minLength: 1 } },
    rules: { type: 'array', items: ruleSchema },
  },
} as const;

const validateDocument = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile(
  secretRulesDocumentSchema,
);

function describeError(document: unknown, error: ErrorObject): string {
  const where = error.instancePath || '/';
  const ruleIndex = /^\/rules\/(\d+)/.exec(error.instancePath);
  let ruleName = '';
  if (ruleIndex && typeof document === 'object' && document !== null) {
    const rules = (document as { rules?: unknown }).rules;
    const rule = Array.isArray(rules) ? (rules[Number(ruleIndex[1])] as { id?: unknown } | undefined) : undefined;
    if (rule && typeof rule.id === 'string') ruleName = ` (rule '${rule.id}')`;
  }
  const extra = error.keyword === 'additionalProperties' ? ` '${String(error.params['additionalProperty'])}'` : '';
  return `${where}${ruleName}: ${error.message ?? 'is invalid'}${extra}`;
}

/** Checks the shape of a parsed rules document; `source` names it in the error. */
export function validateRulesDocument(document: unknown, source: string): SecretRulesDocument {
  if (validateDocument(document)) return document as unknown as SecretRulesDocument;
  const problems = (validateDocument.errors ?? [])
    .filter((e) => e.keyword !== 'if')
    .slice(0, 10)
    .map((e) => `  ${describeError(document, e)}`);
  throw new SecretsError('SECRETS_RULES_SCHEMA', `secret rules in ${source} are invalid:\n${problems.join('\n')}`);
}
