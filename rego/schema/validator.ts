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

let compiled: Record<ContractDocument, ValidateFunction> | undefined;

function validators(): Record<ContractDocument, ValidateFunction> {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    ajv.addSchema(common);
    compiled = {
      push: ajv.compile(pushInput),
      fetch: ajv.compile(fetchInput),
      api: ajv.compile(apiInput),
      decision: ajv.compile(decision),
      'decision-record': ajv.compile(decisionRecord),
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
