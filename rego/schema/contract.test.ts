import t from 'tap';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CONTRACT_SCHEMAS, validateContractDocument, withRefsInlined, type ContractDocument } from './validator.js';
import type { ApiInput, Decision, DecisionRecord, FetchInput, Identity, PushInput } from './types.js';

const examplesDir = fileURLToPath(new URL('./examples/', import.meta.url));
const docsFile = fileURLToPath(new URL('../../docs/policies.md', import.meta.url));

const request = { id: 'r1', time: '2026-05-04T10:15:00Z', remote_address: '192.0.2.1', user_agent: 'git/2.45.0' };
const identity: Identity = { subject: 'alice', issuer: 'gitgate', groups: [], kind: 'human', authentication: 'demo' };
const repository = { name: 'acme/app', upstream: 'https://github.com/acme/app.git', default_branch: 'main' };

// Typed as the TypeScript contract: the type checker and the JSON Schema must agree on them.
const typedPush: PushInput = {
  version: 1,
  kind: 'push',
  request,
  identity: { ...identity, groups: ['dev'] },
  repository,
  updates: [
    {
      ref: 'refs/heads/topic',
      ref_type: 'branch',
      old: '0'.repeat(40),
      new: 'a'.repeat(64),
      operation: 'create',
      fast_forward: null,
      commits: [],
      files: [{ path: 'a.txt', previous_path: 'b.txt', status: 'renamed', mode: '100644', blob: 'b'.repeat(40), size: 1, binary: false }],
      secret_findings: [],
      truncated: true,
    },
  ],
  push_options: ['ci.skip'],
  pack: null,
  granted_approvals: [{ group: 'g', approver: 'bob', granted_at: '2026-05-04T10:15:00+02:00', commits: ['c'.repeat(40)] }],
};
const typedFetch: FetchInput = { version: 1, kind: 'fetch', request, identity, repository, fetch: { phase: 'advertisement', protocol_version: 0, ref_prefixes: ['refs/heads/'] } };
const typedApi: ApiInput = {
  version: 1,
  kind: 'api',
  request,
  identity,
  repository: null,
  api: { method: 'GET', route: null, path: '/user', params: {}, query: { per_page: '10' }, body: {} },
  granted_approvals: [],
};
const typedDecision: Decision = { allow: false, deny: [{ code: 'X_Y', message: 'm', ref: 'refs/heads/main' }], approvals: [{ group: 'g', count: 2, reason: 'r' }], warnings: [] };
const typedRecord: DecisionRecord = {
  decision_id: '123e4567-e89b-42d3-a456-426614174000',
  timestamp: '2026-05-04T10:15:00.000Z',
  kind: 'push',
  path: 'gitgate/push',
  bundle: { revision: null },
  input_digest: `sha256:${'0'.repeat(64)}`,
  result: typedDecision,
  error: { code: 'POLICY_TIMEOUT', message: 'slow' },
  metrics: { timer_eval_ns: 0, timer_total_ns: 5 },
};

t.test('typed documents validate against their schemas', async (t) => {
  const cases: Array<[ContractDocument, unknown]> = [
    ['push', typedPush],
    ['fetch', typedFetch],
    ['api', typedApi],
    ['decision', typedDecision],
    ['decision-record', typedRecord],
  ];
  for (const [document, value] of cases) t.same(validateContractDocument(document, value), { valid: true, errors: [] }, document);
});

t.test('every example in rego/schema/examples validates', async (t) => {
  const names = (await readdir(examplesDir)).filter((n) => n.endsWith('.json'));
  t.ok(names.length >= 3);
  for (const name of names) {
    const example = JSON.parse(await readFile(`${examplesDir}${name}`, 'utf8')) as { kind: ContractDocument };
    t.same(validateContractDocument(example.kind, example), { valid: true, errors: [] }, name);
  }
});

t.test('every JSON example in docs/policies.md validates', async (t) => {
  const docs = await readFile(docsFile, 'utf8');
  const blocks = [...docs.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] as string) as Record<string, unknown>);
  let checked = 0;
  for (const block of blocks) {
    const document: ContractDocument | undefined =
      typeof block['kind'] === 'string' && 'version' in block
        ? (block['kind'] as ContractDocument)
        : 'decision_id' in block
          ? 'decision-record'
          : 'allow' in block && 'deny' in block
            ? 'decision'
            : undefined;
    if (document === undefined) continue;
    checked += 1;
    t.same(validateContractDocument(document, block), { valid: true, errors: [] }, `${document} example ${checked}`);
  }
  t.ok(checked >= 4, `${checked} contract examples checked`);
});

t.test('invalid documents are rejected with errors that name the path', async (t) => {
  const forcePush = structuredClone(typedPush) as unknown as { updates: Array<Record<string, unknown>>; extra?: number };
  forcePush.updates[0]!['ref'] = 'main';
  forcePush.updates[0]!['operation'] = 'rewrite';
  forcePush.extra = 1;
  const result = validateContractDocument('push', forcePush);
  t.equal(result.valid, false);
  t.match(result.errors.join('\n'), /\/updates\/0\/ref: must match pattern/);
  t.match(result.errors.join('\n'), /\/updates\/0\/operation: must be equal to one of the allowed values \["create","update","delete"\]/);
  t.match(result.errors.join('\n'), /\(document\): must NOT have additional properties 'extra'/);
  t.equal(validateContractDocument('fetch', { ...typedFetch, version: 2 }).valid, false, 'another version is not version 1');
});

t.test('the schemas are compiled with their $refs inlined, and still name the path of a problem deep inside', async (t) => {
  for (const [name, schema] of Object.entries(CONTRACT_SCHEMAS)) {
    t.notOk(JSON.stringify(withRefsInlined(schema, schema)).includes('"$ref"'), `${name}: no $ref left`);
  }
  const badBlob = structuredClone(typedPush);
  badBlob.updates[0]!.files[0]!.blob = 'not-an-object-id';
  t.match(validateContractDocument('push', badBlob).errors, [/^\/updates\/0\/files\/0\/blob: must match pattern/]);
  t.throws(() => withRefsInlined({ $ref: 'nowhere.v1.json#/definitions/x' }, {}), /unknown document: nowhere\.v1\.json/);
  t.throws(() => withRefsInlined({ $ref: '#/definitions/missing' }, { definitions: {} }), /refer to nothing: #\/definitions\/missing/);
  const recursive = { definitions: { node: { type: 'object', properties: { next: { $ref: '#/definitions/node' } } } } };
  t.throws(() => withRefsInlined({ $ref: '#/definitions/node' }, recursive), /more than 32 deep/);
});
