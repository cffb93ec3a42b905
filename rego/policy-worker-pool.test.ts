import t from 'tap';
import { fileURLToPath } from 'node:url';
import { compilePolicyDirectory } from './bundle-builder.js';
import { PolicyWorkerPool } from './policy-worker-pool.js';
import { compileWasmModule } from './wasm-runtime.js';
import { WasmPolicy } from './wasm-policy.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const minimal = await compilePolicyDirectory(fixture('minimal'));
const policy = { module: compileWasmModule(minimal.wasm), data: minimal.data };
const input = (subject: string) => JSON.stringify({ identity: { subject } });

t.test('evaluations run on the workers and report their WASM time', async (t) => {
  const pool = await PolicyWorkerPool.start(policy, { size: 2 });
  t.teardown(() => pool.close());
  t.same(pool.entrypoints.filter((e) => !e.endsWith('/allow')), ['gitgate/api', 'gitgate/fetch', 'gitgate/push']);
  t.same(pool.builtins, ['sprintf', 'time.now_ns']);
  const results = await Promise.all(['a', 'mallory', 'b'].map((s) => pool.evaluate('gitgate/push', input(s), 0)));
  t.same(results.map((r) => (r.result as { allow: boolean }).allow), [true, false, true]);
  // Inputs reach the workers through a shared buffer that is replaced when one does not fit.
  const padding = 'ü€'.repeat(1024 * 1024);
  const large = JSON.stringify({ identity: { subject: 'mallory' }, padding });
  const afterLarge = await Promise.all([large, input('a'), large, input('b')].map((text) => pool.evaluate('gitgate/push', text, 0)));
  t.same(afterLarge.map((r) => (r.result as { allow: boolean }).allow), [false, true, false, true], 'a 5 MiB input (its buffer is dropped after it), then small ones');
  t.ok(results.every((r) => r.evaluationNs > 0));
});

t.test('close() finishes queued and running evaluations before ending the workers', async (t) => {
  const pool = await PolicyWorkerPool.start(policy, { size: 1 });
  const pending = Array.from({ length: 50 }, (_, i) => pool.evaluate('gitgate/push', input(`user-${i}`), 0));
  t.ok(pool.pending > 1, 'evaluations are queued');
  const closed = pool.close();
  await t.rejects(pool.evaluate('gitgate/push', input('late'), 0), { code: 'POLICY_ENGINE_CLOSED' });
  const results = await Promise.all(pending);
  await closed;
  t.equal(results.length, 50);
  t.ok(results.every((r) => (r.result as { allow: boolean }).allow));
});

t.test('a full queue refuses new evaluations instead of growing without bound', async (t) => {
  const pool = await PolicyWorkerPool.start(policy, { size: 1, maxQueue: 2 });
  t.teardown(() => pool.close());
  const accepted = [1, 2, 3].map(() => pool.evaluate('gitgate/push', input('a'), 0)); // one runs, two wait
  await t.rejects(pool.evaluate('gitgate/push', input('a'), 0), { code: 'POLICY_OVERLOADED' });
  await Promise.all(accepted);
});

t.test('evaluation errors are reported with their code; the worker survives', async (t) => {
  const pool = await PolicyWorkerPool.start(policy, { size: 1 });
  t.teardown(() => pool.close());
  await t.rejects(pool.evaluate('gitgate/nope', input('a'), 0), { code: 'POLICY_ENTRYPOINT_MISSING' });
  t.equal(((await pool.evaluate('gitgate/push', input('a'), 0)).result as { allow: boolean }).allow, true);
});

t.test('a policy needing a builtin the host lacks is refused at load, not at request time', async (t) => {
  const bundle = await compilePolicyDirectory(fixture('unsupported-builtin'), { entrypoints: ['gitgate/push'] });
  t.throws(() => WasmPolicy.load(bundle.wasm, bundle.data), { code: 'POLICY_BUILTIN_UNSUPPORTED', message: /time\.parse_rfc3339_ns/ });
  await t.rejects(PolicyWorkerPool.start({ module: compileWasmModule(bundle.wasm), data: {} }, { size: 2 }), {
    code: 'POLICY_BUILTIN_UNSUPPORTED',
  });
  t.throws(() => WasmPolicy.load(new Uint8Array([1, 2, 3]), {}), { code: 'POLICY_BUNDLE_INVALID' });
});
