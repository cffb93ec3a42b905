import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import common from './common.v1.schema.json' with { type: 'json' };
import pushInput from './push-input.v1.schema.json' with { type: 'json' };
import fetchInput from './fetch-input.v1.schema.json' with { type: 'json' };
import apiInput from './api-input.v1.schema.json' with { type: 'json' };
import decision from './decision.v1.schema.json' with { type: 'json' };
import decisionRecord from './decision-record.v1.schema.json' with { type: 'json' };
import type { PolicyKind } from '../entrypoints.js';

export type ContractDocument = PolicyKind | 'decision' | 'decision-record';

/** The JSON Schemas of the contract, by the document they describe. */
export const CONTRACT_SCHEMAS: Readonly<Record<ContractDocument, object>> = {
  push: pushInput,
  fetch: fetchInput,
  api: apiInput,
  decision,
  'decision-record': decisionRecord,
};

export interface ValidationResult {
  valid: boolean;
  /** One line per problem, naming the JSON path, e.g. `/updates/0/ref: must match pattern "^refs/.+"`. */
  errors: string[];
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(document)' : error.instancePath;
  const extra =
    error.keyword === 'additionalProperties'
      ? ` '${String((error.params as { additionalProperty?: unknown }).additionalProperty)}'`
      : error.keyword === 'enum'
        ? ` ${JSON.stringify((error.params as { allowedValues?: unknown }).allowedValues)}`
        : '';
  return `${where}: ${error.message ?? 'is invalid'}${extra}`;
}

/** The schema documents by the file name their `$id` ends in, as `$ref`s name them. */
const DOCUMENTS_BY_NAME: ReadonlyMap<string, object> = new Map(
  [common, ...Object.values(CONTRACT_SCHEMAS)].map((schema) => [String((schema as { $id: string }).$id).split('/').pop() as string, schema]),
);

/**
 * `schema` with every `$ref` replaced by what it points to (draft-07 ignores a `$ref`'s sibling
 * keywords, so they are dropped with it). Ajv compiles a `$ref` it cannot inline into a function
 * call that builds the instance path and a context object for each array item: validating a push
 * input's 200 files left about 30 KB of garbage per decision, a tenth of what a decision costs
 * the collector. The contract has no recursive definitions; `depth` guards against one.
 */
export function withRefsInlined(schema: unknown, document: object, depth = 0): unknown {
  if (depth > 32) throw new Error('the contract schemas nest $refs more than 32 deep (a recursive definition?)');
  if (Array.isArray(schema)) return schema.map((item) => withRefsInlined(item, document, depth));
  if (schema === null || typeof schema !== 'object') return schema;
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    const [file = '', pointer = ''] = ref.split('#');
    const target = file === '' ? document : DOCUMENTS_BY_NAME.get(file);
    if (target === undefined) throw new Error(`the contract schemas refer to an unknown document: ${ref}`);
    let resolved: unknown = target;
    for (const key of pointer.split('/').filter((part) => part !== '')) resolved = (resolved as Record<string, unknown> | undefined)?.[key];
    if (resolved === undefined) throw new Error(`the contract schemas refer to nothing: ${ref}`);
    const { $id: _id, $schema: _schema, ...inlined } = withRefsInlined(resolved, target, depth + 1) as Record<string, unknown>;
    return inlined;
  }
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withRefsInlined(value, document, depth)]));
}

let compiled: Record<ContractDocument, ValidateFunction> | undefined;

function validators(): Record<ContractDocument, ValidateFunction> {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    const compile = (schema: object): ValidateFunction => ajv.compile(withRefsInlined(schema, schema) as object);
    compiled = {
      push: compile(pushInput),
      fetch: compile(fetchInput),
      api: compile(apiInput),
      decision: compile(decision),
      'decision-record': compile(decisionRecord),
    };
  }
  return compiled;
}

/** Compiles the validators now rather than on the first request (about 100 ms). */
export function prepareContractValidators(): void {
  validators();
}

/** Validates a document of the contract against its JSON Schema. */
export function validateContractDocument(document: ContractDocument, value: unknown): ValidationResult {
  const validate = validators()[document];
  if (validate(value)) return { valid: true, errors: [] };
  return { valid: false, errors: (validate.errors ?? []).slice(0, 20).map(describe) };
}
