import { githubApiConfigSchema } from './github-api-config.js';
import { approvalsConfigSchema } from './approvals-config.js';
import { webConfigSchema } from './web-config.js';
import { auditConfigSchema } from './audit-config.js';
import { limitsConfigSchema, metricsConfigSchema, shutdownConfigSchema, timeoutsConfigSchema } from './operations-config.js';
/** JSON Schema of `gitgate.yaml` (draft 2020-12 subset that ajv checks at start). */
export const gatewayConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      required: ['cert_file', 'key_file'],
      properties: {
        cert_file: { type: 'string', minLength: 1 },
        key_file: { type: 'string', minLength: 1 },
      },
    },
    shutdown: shutdownConfigSchema,
    metrics: metricsConfigSchema,
    timeouts: timeoutsConfigSchema,
    limits: limitsConfigSchema,
    data_dir: { type: 'string', minLength: 1 },
    tokens_file: { type: 'string', minLength: 1 },
    public_url: { type: 'string', pattern: '^https?://' },
    policies: {
      type: 'object',
      additionalProperties: false,
      properties: {
        directory: { type: 'string', minLength: 1 },
        bundle: { type: 'string', minLength: 1 },
        data: { type: 'object' },
      },
    },
    secrets: {
      type: 'object',
      additionalProperties: false,
      properties: {
        rules_file: { type: 'string', minLength: 1 },
        fingerprint_key_env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        archives: {
          type: 'object',
          additionalProperties: false,
          properties: {
            max_entries: { type: 'integer', minimum: 1 },
            max_entry_bytes: { type: 'integer', minimum: 1 },
            max_expanded_bytes: { type: 'integer', minimum: 1 },
            max_depth: { type: 'integer', minimum: 1 },
          },
        },
      },
    },
    identity: {
      type: 'object',
      additionalProperties: false,
      properties: {
        oidc: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['issuer', 'audience'],
            properties: {
              issuer: { type: 'string', pattern: '^https?://' },
              audience: { type: 'string', minLength: 1 },
              groups_claim: { type: 'string', minLength: 1 },
              algorithms: { type: 'array', minItems: 1, items: { enum: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] } },
              kind: { enum: ['agent', 'human'] },
              clock_tolerance_seconds: { type: 'integer', minimum: 0, maximum: 300 },
            },
          },
        },
      },
    },
    github_api: githubApiConfigSchema,
    approvals: approvalsConfigSchema,
    web: webConfigSchema,
    audit: auditConfigSchema,
    upstreams: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['type'],
        discriminator: { propertyName: 'type' },
        oneOf: [
          {
            additionalProperties: false,
            required: ['type', 'path'],
            properties: {
              type: { const: 'file' },
              name: { type: 'string', minLength: 1 },
              path: { type: 'string', minLength: 1 },
              repositories: { $ref: '#/$defs/patterns' },
            },
          },
          {
            additionalProperties: false,
            required: ['type', 'repositories'],
            properties: {
              type: { const: 'http' },
              name: { type: 'string', minLength: 1 },
              scheme: { enum: ['http', 'https'] },
              repositories: { $ref: '#/$defs/patterns' },
              default_branch: { type: 'string', minLength: 1 },
              credential: {
                type: 'object',
                additionalProperties: false,
                required: ['username'],
                properties: {
                  username: { type: 'string', minLength: 1 },
                  password_env: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
                  password_file: { type: 'string', minLength: 1 },
                },
              },
            },
          },
        ],
      },
    },
  },
  $defs: {
    patterns: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^[A-Za-z0-9._:-]+(/([A-Za-z0-9._-]+|\\*))*$|^\\*$' },
    },
  },
} as const;
