import t from 'tap';
import { capturedIO as captureIO } from './captured-io.js';
import { cp, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './run.js';
import { allCommands } from './commands.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const policies = join(root, 'policies');
const examples = join(root, 'rego', 'schema', 'examples');

async function gitgate(args: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  const io = stdin === undefined ? captureIO() : captureIO(stdin);
  const code = await runCli(args, allCommands, io);
  return { code, out: io.out, err: io.err };
}

const scratch = await mkdtemp(join(tmpdir(), 'gitgate-policy-cli-'));
t.teardown(() => rm(scratch, { recursive: true, force: true }));

t.test('the default library passes its tests with at least 90% coverage (CI gate)', async (t) => {
  const result = await gitgate(['policy', 'test', policies, '--threshold', '90']);
  t.equal(result.code, 0, result.err);
  t.match(result.out, /^\d+ tests passed/);
  t.match(result.out, /coverage: (9\d|100)\.\d% of policy lines/);
});

t.test('the default library compiles strictly and is formatted (CI gate)', async (t) => {
  const result = await gitgate(['policy', 'check', policies]);
  t.equal(result.code, 0, result.err);
  t.match(result.out, /compiles strictly and is formatted/);
});

t.test('a threshold above the coverage fails and lists uncovered lines', async (t) => {
  const dir = join(scratch, 'uncovered');
  await mkdir(dir);
  await writeFile(join(dir, 'p.rego'), 'package gitgate.push\n\nimport rego.v1\n\nallow if input.a == 1\n\ndeny contains "x" if input.b == 2\n');
  await writeFile(join(dir, 'p_test.rego'), 'package gitgate.push_test\n\nimport rego.v1\n\ntest_allow if data.gitgate.push.allow with input as {"a": 1}\n');
  const result = await gitgate(['policy', 'test', dir, '--threshold', '99']);
  t.equal(result.code, 1);
  t.match(result.out, /p\.rego: 50\.0%, not covered: lines 7/);
  t.match(result.err, /coverage 50\.0% is under the threshold of 99%/);
});

t.test('failing tests are reported by name', async (t) => {
  const dir = join(scratch, 'failing');
  await mkdir(dir);
  await writeFile(join(dir, 'p.rego'), 'package gitgate.push\n\nimport rego.v1\n\nallow if input.a == 1\n');
  await writeFile(join(dir, 'p_test.rego'), 'package gitgate.push_test\n\nimport rego.v1\n\ntest_wrong if data.gitgate.push.allow with input as {"a": 2}\n');
  const result = await gitgate(['policy', 'test', dir]);
  t.equal(result.code, 1);
  t.match(result.err, /test_wrong: FAIL/);
  t.match(result.err, /1 of 1 tests failed/);
});

t.test('check lists unformatted files and compile errors', async (t) => {
  const dir = join(scratch, 'unformatted');
  await mkdir(dir);
  await writeFile(join(dir, 'ugly.rego'), 'package gitgate.push\nimport rego.v1\nallow   if   {input.a==1}\n');
  const ugly = await gitgate(['policy', 'check', dir]);
  t.equal(ugly.code, 1);
  t.match(ugly.err, /not formatted as opa fmt would[\s\S]*ugly\.rego/);

  await writeFile(join(dir, 'ugly.rego'), 'package gitgate.push\n\nimport rego.v1\n\nallow if {\n');
  const broken = await gitgate(['policy', 'check', dir]);
  t.equal(broken.code, 1);
  t.match(broken.err, /ugly\.rego:\d+/);
});

t.test('build and eval: examples through the default library, with secret rules data beside it', async (t) => {
  // The secret scanner ships policies/secrets/rules.json; it must not collide with the library's data.
  const dir = join(scratch, 'library');
  await cp(policies, dir, { recursive: true });
  await mkdir(join(dir, 'secrets'), { recursive: true });
  await writeFile(join(dir, 'secrets', 'rules.json'), JSON.stringify({ rules: [{ id: 'fake-rule', regex: 'FAKE[0-9]{8}' }] }));
  // The rule from docs/policies.md works as documented.
  const docs = await readFile(join(root, 'docs', 'policies.md'), 'utf8');
  const documentedRule = /```rego\n([\s\S]*?)```/.exec(docs)?.[1];
  t.ok(documentedRule);
  await writeFile(join(dir, 'gitgate', 'rules', 'push', 'documented_example.rego'), documentedRule as string);
  t.equal((await gitgate(['policy', 'check', dir])).code, 0, 'the documented rule is formatted and strict-clean');

  const bundle = join(scratch, 'bundle.tar.gz');
  const built = await gitgate(['policy', 'build', dir, '-o', bundle]);
  t.equal(built.code, 0, built.err);
  t.match(built.out, /revision: +[0-9a-f]{64}/);
  t.match(built.out, /data keys: +gitgate, secrets/);

  const push = await gitgate(['policy', 'eval', '--bundle', bundle, '--input', join(examples, 'push.json')]);
  t.equal(push.code, 0, push.err);
  const decision = JSON.parse(push.out) as { allow: boolean; deny: Array<{ code: string }>; approvals: Array<{ group: string }> };
  t.equal(decision.allow, false);
  t.same(decision.deny.map((d) => d.code).sort(), ['AGENT_DIRECT_MAIN', 'SECRET_DETECTED']);
  t.same(decision.approvals.map((a) => a.group), ['production-review']);

  const fetch = await gitgate(['policy', 'eval', '--bundle', bundle, '--input', '-', '--record'], await readFile(join(examples, 'fetch.json'), 'utf8'));
  t.equal(fetch.code, 0, fetch.err);
  t.match(JSON.parse(fetch.out), { kind: 'fetch', request_id: 'req-8b21', result: { allow: true } });

  const overrides = join(scratch, 'overrides.json');
  await writeFile(overrides, JSON.stringify({ gitgate: { config: { protected_refs: [] } } }));
  const api = await gitgate(['policy', 'eval', '--bundle', bundle, '--input', join(examples, 'api.json'), '--data', overrides]);
  t.equal(api.code, 0, api.err);
  t.match(JSON.parse(api.out), { allow: true }, 'overridden data: main is no longer protected');
});

t.test('eval from a directory compiles just the entry point it needs', async (t) => {
  const result = await gitgate(['policy', 'eval', '--dir', policies, '--input', join(examples, 'api.json')]);
  t.equal(result.code, 0, result.err);
  t.match(JSON.parse(result.out), { allow: false, approvals: [{ group: 'production-review' }] });
});

t.test('eval fails closed on an invalid input and says why', async (t) => {
  const bad = join(scratch, 'bad-input.json');
  await writeFile(bad, JSON.stringify({ version: 1, kind: 'push', updates: [] }));
  const result = await gitgate(['policy', 'eval', '--dir', policies, '--input', bad]);
  t.equal(result.code, 1);
  t.match(JSON.parse(result.out), { allow: false, deny: [{ code: 'POLICY_INPUT_INVALID' }] });
  t.match(result.err, /must have required property 'request'/);
});

t.test('usage mistakes and missing things are reported clearly', async (t) => {
  t.equal((await gitgate(['policy', 'eval'])).code, 2);
  t.equal((await gitgate(['policy', 'test', policies, '--threshold', 'lots'])).code, 2);
  t.equal((await gitgate(['policy', 'eval', '--input', join(examples, 'push.json'), '--dir', 'a', '--bundle', 'b'])).code, 2);
  const kindless = join(scratch, 'kindless.json');
  await writeFile(kindless, '{}');
  const noKind = await gitgate(['policy', 'eval', '--input', kindless]);
  t.equal(noKind.code, 2);
  t.match(noKind.err, /--kind push\|fetch\|api/);
  const missing = await gitgate(['policy', 'test', join(scratch, 'does-not-exist')]);
  t.equal(missing.code, 1);
  t.match(missing.err, /does not exist or is not a directory \[POLICY_SOURCE_NOT_FOUND\]/);
  const notJson = await gitgate(['policy', 'eval', '--input', join(root, 'README.md')]);
  t.equal(notJson.code, 2);
  t.match(notJson.err, /is not valid JSON/);
  const noBundle = await gitgate(['policy', 'eval', '--input', join(examples, 'push.json'), '--bundle', join(scratch, 'nope.tar.gz')]);
  t.equal(noBundle.code, 1);
  t.match(noBundle.err, /POLICY_SOURCE_NOT_FOUND/);
});
