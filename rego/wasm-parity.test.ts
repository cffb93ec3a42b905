// The default library must decide the same under OPA (what `opa test` checks) and compiled to
// WASM (what the gateway runs): builtins differ in small ways between the two.
import t from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle } from './bundle-builder.js';
import { normalizeDecision } from './decision.js';
import { entrypointOf, type PolicyKind } from './entrypoints.js';
import { runOpaOrThrow } from './opa-cli.js';
import { PolicyEngine } from './policy-engine.js';
import type { ChangedFile, PushInput } from './schema/types.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const policies = join(root, 'policies');
const examples = join(root, 'rego', 'schema', 'examples');

const scratch = await mkdtemp(join(tmpdir(), 'gitgate-parity-'));
t.teardown(() => rm(scratch, { recursive: true, force: true }));
const bundle = join(scratch, 'bundle.tar.gz');
await buildBundle(policies, bundle);
const engine = await PolicyEngine.start({ source: { kind: 'bundle', path: bundle }, size: 1 });
t.teardown(() => engine.close());

const example = async (kind: PolicyKind): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(join(examples, `${kind}.json`), 'utf8')) as Record<string, unknown>;

function file(path: string, fields: Partial<ChangedFile> = {}): ChangedFile {
  return { path, status: 'added', mode: '100644', blob: 'a'.repeat(40), size: 10, binary: false, ...fields };
}

async function pushVariants(): Promise<Array<[string, PushInput]>> {
  const base = (await example('push')) as unknown as PushInput;
  const variant = (name: string, change: (input: PushInput) => void): [string, PushInput] => {
    const copy = structuredClone(base);
    change(copy);
    return [name, copy];
  };
  const update = (input: PushInput) => input.updates[0] as PushInput['updates'][0];
  return [
    ['example', base],
    variant('forbidden, large, binary files', (i) => {
      update(i).ref = 'refs/heads/topic';
      update(i).files.push(file('.env'), file('app/.env.local'), file('certs/a.pem'), file('data/big.sql', { size: 50_000_000 }), file('src/x.so', { binary: true }), file('src/logo.png', { binary: true }));
    }),
    variant('force push and tag move', (i) => {
      update(i).fast_forward = false;
      i.updates.push({ ...structuredClone(update(i)), ref: 'refs/tags/v1.2.3', ref_type: 'tag', fast_forward: null, secret_findings: [] });
    }),
    variant('paths near every glob shape: short, non-ASCII, look-alikes', (i) => {
      update(i).ref = 'refs/heads/main';
      update(i).files.push(
        file('a'), file('.e'), file('ünï/.env.x'), file('dir/ü.tf'), file('x.pem.txt'), file('srcx/a.ts'), file('.aws/credentials'),
        file('home/.aws/credentials'), file('kustomization.yaml'), file('deploy'), file('.github/workflows'), file('lib/ü.png', { binary: true }),
        file('src/b.bin', { binary: true }),
      );
    }),
    variant('protected refs by prefix and segment: release/*, tags v*, and look-alikes', (i) => {
      const rewrite = (ref: string, refType: 'branch' | 'tag') => ({ ...structuredClone(update(i)), ref, ref_type: refType, fast_forward: false, secret_findings: [] });
      i.updates.push(rewrite('refs/heads/release/2.4', 'branch'), rewrite('refs/heads/release/2/x', 'branch'), rewrite('refs/heads/release', 'branch'));
      i.updates.push(rewrite('refs/tags/v9', 'tag'), rewrite('refs/tags/v', 'tag'), rewrite('refs/tags/v1/x', 'tag'), rewrite('refs/tags/x1', 'tag'));
    }),
    variant('agent changes CI, production paths under many dirs', (i) => {
      update(i).files.push(file('.github/workflows/ci.yml'), file('deploy/k8s/app.yaml'), file('infra/main.tf'), file('a/b/kustomization.yaml'));
    }),
  ];
}

async function opaDecision(kind: PolicyKind, input: unknown): Promise<unknown> {
  const inputFile = join(scratch, 'input.json');
  await writeFile(inputFile, JSON.stringify(input));
  const { stdout } = await runOpaOrThrow(['eval', '--bundle', policies, '--input', inputFile, '--format', 'json', `data.${entrypointOf(kind).replaceAll('/', '.')}`]);
  const parsed = JSON.parse(stdout) as { result?: Array<{ expressions: Array<{ value: unknown }> }> };
  return normalizeDecision(parsed.result?.[0]?.expressions[0]?.value, entrypointOf(kind));
}

t.test('push inputs decide the same in OPA and in WASM', async (t) => {
  for (const [name, input] of await pushVariants()) {
    const record = await engine.evaluate('push', input);
    t.notOk(record.error, name);
    t.same(record.result, await opaDecision('push', input), name);
  }
});

t.test('fetch and api examples decide the same in OPA and in WASM', async (t) => {
  for (const kind of ['fetch', 'api'] as const) {
    const input = await example(kind);
    t.same((await engine.evaluate(kind, input)).result, await opaDecision(kind, input), kind);
  }
});

t.test('globs compiled when the policy loads (gitgate/prepare) follow data overrides', async (t) => {
  const overridden = await PolicyEngine.start({
    source: { kind: 'bundle', path: bundle },
    size: 1,
    // A stale data.gitgate.prepared in the overrides is replaced by what the policy prepares.
    dataOverrides: {
      gitgate: {
        config: { files: { forbidden: ['**/*.secret'] } },
        prepared: { glob_sets: { 'files.forbidden': { exact: {}, suffixes: ['.pem'], prefixes: [], globs: [] } } },
      },
    },
  });
  t.teardown(() => overridden.close());
  const input = (await example('push')) as unknown as PushInput;
  const update = input.updates[0] as PushInput['updates'][0];
  update.ref = 'refs/heads/topic';
  update.secret_findings = [];
  update.files = [file('keys/a.secret'), file('certs/server.pem')];
  const record = await overridden.evaluate('push', input);
  t.notOk(record.error);
  t.same(record.result.deny.map((d) => [d.code, d.message.split(' ')[0]]), [['FORBIDDEN_FILE', 'keys/a.secret']]);
  t.same((await engine.evaluate('push', input)).result.deny.map((d) => [d.code, d.message.split(' ')[0]]), [['FORBIDDEN_FILE', 'certs/server.pem']]);
});
