import t from 'tap';
import { cp, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyEngine, type ReloadOutcome } from './policy-engine.js';
import { PolicyReloader, type ReloadTrigger } from './policy-reloader.js';
import { buildBundle } from './bundle-builder.js';

const minimal = fileURLToPath(new URL('./fixtures/minimal', import.meta.url));

function nextReload(events: Array<[ReloadOutcome, ReloadTrigger]>, count: number): Promise<[ReloadOutcome, ReloadTrigger]> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const poll = setInterval(() => {
      if (events.length >= count) {
        clearInterval(poll);
        resolve(events[count - 1] as [ReloadOutcome, ReloadTrigger]);
      } else if (Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error('no reload happened'));
      }
    }, 20);
  });
}

t.test('a watched directory reloads on change and refuses a broken policy', async (t) => {
  const scratch = await mkdtemp(join(tmpdir(), 'gitgate-watch-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const dir = join(scratch, 'policies');
  await cp(minimal, dir, { recursive: true });
  const engine = await PolicyEngine.start({ source: { kind: 'directory', path: dir }, validateInput: false, size: 1 });
  const events: Array<[ReloadOutcome, ReloadTrigger]> = [];
  const reloader = new PolicyReloader(engine, { debounceMs: 50, signal: null, onReload: (o, why) => events.push([o, why]) });
  t.teardown(async () => {
    reloader.close();
    await engine.close();
  });

  await writeFile(join(dir, 'data.json'), '{"fixture": {"blocked": ["alice"]}}');
  const [reloaded, why] = await nextReload(events, 1);
  t.equal(reloaded.status, 'reloaded');
  t.equal(why, 'change');
  t.equal((await engine.evaluate('push', { identity: { subject: 'alice' } })).result.allow, false);

  await writeFile(join(dir, 'broken.rego'), 'package gitgate.push\n\nallow if {\n');
  const [refused] = await nextReload(events, 2);
  t.equal(refused.status, 'refused');
  t.equal(refused.error?.code, 'POLICY_COMPILE_FAILED');
  t.equal(engine.revision, reloaded.revision);
});

t.test('SIGHUP reloads a bundle file replaced by rename', async (t) => {
  const scratch = await mkdtemp(join(tmpdir(), 'gitgate-hup-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const dir = join(scratch, 'policies');
  await cp(minimal, dir, { recursive: true });
  const bundle = join(scratch, 'bundle.tar.gz');
  await buildBundle(dir, bundle);
  const engine = await PolicyEngine.start({ source: { kind: 'bundle', path: bundle }, validateInput: false, size: 1 });
  const events: Array<[ReloadOutcome, ReloadTrigger]> = [];
  const reloader = new PolicyReloader(engine, { watchFiles: false, onReload: (o, why) => events.push([o, why]) });
  t.teardown(async () => {
    reloader.close();
    await engine.close();
  });
  const first = engine.revision;

  await writeFile(join(dir, 'data.json'), '{"fixture": {"blocked": ["bob"]}}');
  await buildBundle(dir, join(scratch, 'next.tar.gz'));
  await rename(join(scratch, 'next.tar.gz'), bundle);
  process.kill(process.pid, 'SIGHUP');
  const [outcome, why] = await nextReload(events, 1);
  t.equal(why, 'signal');
  t.equal(outcome.status, 'reloaded');
  t.not(engine.revision, first);
  t.equal((await engine.evaluate('push', { identity: { subject: 'bob' } })).result.allow, false);

  await writeFile(bundle, 'garbage');
  const refused = await reloader.trigger();
  t.equal(refused.status, 'refused');
  t.equal(refused.error?.code, 'POLICY_BUNDLE_INVALID');
  t.equal(engine.revision, outcome.revision, 'the last good bundle keeps serving');
  t.equal((await engine.evaluate('push', { identity: { subject: 'bob' } })).result.allow, false);
});
