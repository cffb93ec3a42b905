import t from 'tap';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyEngine } from './policy-engine.js';
import { buildBundle } from './bundle-builder.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

function pushInput(subject: string): Record<string, unknown> {
  return { identity: { subject } };
}

t.test('a directory is compiled, evaluated, and every decision is recorded', async (t) => {
  const engine = await PolicyEngine.start({ source: { kind: 'directory', path: join(fixtures, 'minimal') }, validateInput: false, size: 1 });
  t.teardown(() => engine.close());
  t.match(engine.revision, /^[0-9a-f]{64}$/);

  const allowed = await engine.evaluate('push', pushInput('alice'));
  t.same(allowed.result, { allow: true, deny: [], approvals: [], warnings: [] });
  t.equal(allowed.bundle.revision, engine.revision);
  t.match(allowed.input_digest, /^sha256:[0-9a-f]{64}$/);
  t.match(allowed.decision_id, /^[0-9a-f-]{36}$/);

  const denied = await engine.evaluate('push', pushInput('mallory'));
  t.equal(denied.result.allow, false);
  t.same(denied.result.deny, [{ code: 'MINIMAL_DENIED', message: 'mallory may not push' }]);
  t.notOk(denied.error);

  const at = new Date('2026-01-02T03:04:05.000Z');
  const clock = await engine.evaluate('push', pushInput('clock'), { now: at });
  t.same(clock.result.warnings, [{ code: 'NOW', message: `now=${at.getTime() * 1e6}` }]);
  t.equal(clock.timestamp, at.toISOString());
});

t.test('a slow policy is cut off at the deadline and denied; the pool keeps serving', async (t) => {
  const scratch = await mkdtemp(join(tmpdir(), 'gitgate-slow-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const bundle = join(scratch, 'slow.tar.gz');
  await buildBundle(join(fixtures, 'slow'), bundle, { entrypoints: ['gitgate/push'] });
  const engine = await PolicyEngine.start({ source: { kind: 'bundle', path: bundle }, validateInput: false, size: 1, timeoutMs: 200 });
  t.teardown(() => engine.close());

  const started = Date.now();
  const slow = await engine.evaluate('push', { spin: 20000 });
  const elapsed = Date.now() - started;
  t.equal(slow.result.allow, false);
  t.equal(slow.error?.code, 'POLICY_TIMEOUT');
  t.equal(slow.result.deny[0]?.code, 'POLICY_TIMEOUT');
  t.match(slow.result.deny[0]?.message, /longer than 200 ms/);
  t.ok(elapsed < 2000, `stopped after ${elapsed} ms`);

  const quick = await engine.evaluate('push', { spin: 3 });
  t.equal(quick.result.allow, true, 'a replacement worker serves the next evaluation');
  const missing = await engine.evaluate('fetch', { spin: 3 });
  t.equal(missing.error?.code, 'POLICY_ENTRYPOINT_MISSING');
});

t.test('reload swaps a good policy in, refuses a bad one, and drops nothing in flight', async (t) => {
  const scratch = await mkdtemp(join(tmpdir(), 'gitgate-reload-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const dir = join(scratch, 'policies');
  await cp(join(fixtures, 'minimal'), dir, { recursive: true });
  const engine = await PolicyEngine.start({ source: { kind: 'directory', path: dir }, validateInput: false, size: 2 });
  t.teardown(() => engine.close());
  const first = engine.revision;

  t.equal((await engine.reload()).status, 'unchanged');

  const inFlight = Array.from({ length: 20 }, () => engine.evaluate('push', pushInput('mallory')));
  await writeFile(join(dir, 'data.json'), '{"fixture": {"blocked": ["alice"]}}');
  const reloaded = await engine.reload();
  t.equal(reloaded.status, 'reloaded');
  t.not(reloaded.revision, first);
  for (const record of await Promise.all(inFlight)) {
    t.notOk(record.error, 'in-flight evaluation completed');
  }
  t.equal((await engine.evaluate('push', pushInput('alice'))).result.allow, false, 'new data serves');

  await writeFile(join(dir, 'broken.rego'), 'package gitgate.push\n\nimport rego.v1\n\ndeny contains x if {\n');
  const refused = await engine.reload();
  t.equal(refused.status, 'refused');
  t.equal(refused.error?.code, 'POLICY_COMPILE_FAILED');
  t.equal(engine.revision, reloaded.revision, 'the last good policy keeps serving');
  const still = await engine.evaluate('push', pushInput('alice'));
  t.equal(still.bundle.revision, reloaded.revision);
  t.equal(still.result.allow, false);
});
