import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle } from './bundle-builder.js';
import { readBundleFile } from './bundle-reader.js';
import { WASM_INITIAL_PAGES, WasmPolicy } from './wasm-policy.js';

const minimal = fileURLToPath(new URL('./fixtures/minimal/', import.meta.url));

async function loadMinimal(): Promise<WasmPolicy> {
  const scratch = await mkdtemp(join(tmpdir(), 'gitgate-wasm-policy-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const path = join(scratch, 'bundle.tar.gz');
  await buildBundle(minimal, path, { entrypoints: ['gitgate/push'] });
  const bundle = await readBundleFile(path);
  return WasmPolicy.load(bundle.wasm, bundle.data);
}

t.test('the result set comes back as JSON text, the same value evaluate returns', async (t) => {
  const policy = await loadMinimal();
  const input = JSON.stringify({ identity: { subject: 'mallory' } });
  const text = policy.evaluateToJson('gitgate/push', input, 0);
  t.same(JSON.parse(text), [{ result: policy.evaluate('gitgate/push', input, 0) }]);
  t.same(policy.evaluate('gitgate/push', input, 0), {
    allow: false,
    deny: [{ code: 'MINIMAL_DENIED', message: 'mallory may not push' }],
    warnings: [],
  });
});

t.test('an input larger than the WASM memory grows it; non-ASCII text arrives intact', async (t) => {
  const policy = await loadMinimal();
  // Bigger than the initial memory, with multi-byte UTF-8 so that the encoded length exceeds the text's.
  const padding = 'ü€'.repeat(WASM_INITIAL_PAGES * 64 * 1024);
  const subject = `mallory-${'🔑'.repeat(3)}`;
  const input = JSON.stringify({ identity: { subject }, padding });
  const decision = policy.evaluate('gitgate/push', input, 0) as { allow: boolean; deny: Array<{ message: string }> };
  t.equal(decision.allow, true, 'not blocked: only the listed subjects are');
  const blocked = JSON.stringify({ identity: { subject: 'mallory' }, padding });
  const denied = policy.evaluate('gitgate/push', blocked, 0) as { deny: Array<{ message: string }> };
  t.same(denied.deny.map((d) => d.message), ['mallory may not push']);
  // A small input after the large one is evaluated alone: nothing of the large one leaks into it.
  t.same(policy.evaluate('gitgate/push', JSON.stringify({ identity: { subject: 'alice' } }), 0), { allow: true, deny: [], warnings: [] });
});

t.test('the input may come as its UTF-8 bytes, as the worker pool sends it', async (t) => {
  const policy = await loadMinimal();
  const utf8 = new TextEncoder();
  const text = JSON.stringify({ identity: { subject: 'mallory' } });
  t.equal(policy.evaluateToJson('gitgate/push', utf8.encode(text), 0), policy.evaluateToJson('gitgate/push', text, 0));
  const padding = 'ü€'.repeat(WASM_INITIAL_PAGES * 64 * 1024);
  const large = utf8.encode(JSON.stringify({ identity: { subject: 'mallory' }, padding }));
  t.ok(large.length > WASM_INITIAL_PAGES * 64 * 1024, 'larger than the initial memory');
  t.same(JSON.parse(policy.evaluateToJson('gitgate/push', large, 0))[0].result.deny, [{ code: 'MINIMAL_DENIED', message: 'mallory may not push' }]);
  const inLargerBuffer = utf8.encode(` ${JSON.stringify({ identity: { subject: 'alice' } })} `).subarray(1);
  t.same(JSON.parse(policy.evaluateToJson('gitgate/push', inLargerBuffer.subarray(0, inLargerBuffer.length - 1), 0))[0].result.allow, true, 'a view into a larger buffer');
});

t.test('an entry point the policy lacks is refused with its code', async (t) => {
  const policy = await loadMinimal();
  t.throws(() => policy.evaluateToJson('gitgate/nothing', '{}', 0), { code: 'POLICY_ENTRYPOINT_MISSING' });
});
