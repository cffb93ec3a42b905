import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fakeGithubToken } from '../secrets/test-helpers.js';
import { JsonlSegmentStore } from './jsonl-segment-store.js';
import { openTestAuditLog } from './audit-test-helpers.js';
import { verifyAuditChain } from './verify-chain.js';

async function populated(count = 12, segmentBytes?: number) {
  const setup = await openTestAuditLog(segmentBytes === undefined ? {} : { segmentBytes });
  for (let i = 0; i < count; i++) {
    await setup.log.append({ type: 'request.received', request_id: `req-${i}`, repository: 'acme/app', data: { index: i, path: '/acme/app.git/info/refs' } });
  }
  await setup.log.close();
  const segmentDir = join(setup.directory, 'segments');
  const segments = readdirSync(segmentDir).filter((n) => n.endsWith('.jsonl')).sort();
  return { ...setup, segmentDir, segments, reopen: () => new JsonlSegmentStore({ directory: setup.directory }) };
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
}

t.test('an untouched chain verifies, across segments, and secrets are masked before writing', async (t) => {
  const setup = await openTestAuditLog({ segmentBytes: 1500 });
  const token = fakeGithubToken(7);
  for (let i = 0; i < 20; i++) await setup.log.append({ type: 'error', request_id: `r${i}`, data: { message: `upstream said ${token}`, nested: { list: [token] } } });
  await setup.log.close();
  const segments = readdirSync(join(setup.directory, 'segments'));
  t.ok(segments.length > 2, `rotated into ${segments.length} segments`);
  const text = segments.map((s) => readFileSync(join(setup.directory, 'segments', s), 'utf8')).join('');
  t.notOk(text.includes(token), 'no secret value on disk');
  t.match(text, /REDACTED/);
  const result = await verifyAuditChain(new JsonlSegmentStore({ directory: setup.directory }), setup.publicKey);
  t.same(result.problems, []);
  t.equal(result.ok, true);
  t.equal(result.events, 20);
  t.equal(result.signedThrough, 20, 'close signs the head');
  const from = await verifyAuditChain(new JsonlSegmentStore({ directory: setup.directory }), setup.publicKey, { fromSegment: segments.sort()[1] });
  t.equal(from.ok, true, 'verification from a later segment');
  t.ok(from.events < 20);
});

t.test('an edited event is named', async (t) => {
  const { segmentDir, segments, reopen, publicKey } = await populated();
  const file = join(segmentDir, segments[0]!);
  const all = lines(file);
  const event = JSON.parse(all[4]!);
  event.repository = 'acme/other';
  all[4] = JSON.stringify(event);
  writeFileSync(file, `${all.join('\n')}\n`);
  const result = await verifyAuditChain(reopen(), publicKey);
  t.equal(result.ok, false);
  t.equal(result.problems[0]!.code, 'EVENT_ALTERED');
  t.equal(result.problems[0]!.seq, 5);
  t.equal(result.problems[0]!.eventId, event.id);
});

t.test('an edited event with a recomputed hash breaks the chain and the checkpoint', async (t) => {
  const { segmentDir, segments, reopen, publicKey } = await populated();
  const file = join(segmentDir, segments[0]!);
  const all = lines(file);
  const { eventHash } = await import('./canonical-json.js');
  const event = JSON.parse(all[4]!);
  event.data.index = 99;
  event.hash = eventHash(event);
  all[4] = JSON.stringify(event);
  writeFileSync(file, `${all.join('\n')}\n`);
  const result = await verifyAuditChain(reopen(), publicKey);
  t.equal(result.ok, false);
  t.equal(result.problems[0]!.seq, 6, 'the next event no longer follows it');
  t.equal(result.problems[0]!.code, 'CHAIN_BROKEN');
});

t.test('a deleted event is named', async (t) => {
  const { segmentDir, segments, reopen, publicKey } = await populated();
  const file = join(segmentDir, segments[0]!);
  const all = lines(file);
  all.splice(6, 1);
  writeFileSync(file, `${all.join('\n')}\n`);
  const result = await verifyAuditChain(reopen(), publicKey);
  t.equal(result.ok, false);
  t.equal(result.problems[0]!.code, 'EVENT_MISSING');
  t.equal(result.problems[0]!.seq, 7);
});

t.test('reordered events are detected', async (t) => {
  const { segmentDir, segments, reopen, publicKey } = await populated();
  const file = join(segmentDir, segments[0]!);
  const all = lines(file);
  [all[3], all[4]] = [all[4]!, all[3]!];
  writeFileSync(file, `${all.join('\n')}\n`);
  const result = await verifyAuditChain(reopen(), publicKey);
  t.equal(result.ok, false);
  t.equal(result.problems[0]!.seq, 4);
  t.ok(result.problems.some((p) => p.code === 'EVENT_OUT_OF_ORDER'));
});

t.test('a truncated tail is detected: whole events against the checkpoint, a cut line as unreadable', async (t) => {
  const whole = await populated();
  const file = join(whole.segmentDir, whole.segments[0]!);
  const all = lines(file);
  writeFileSync(file, `${all.slice(0, 9).join('\n')}\n`);
  const result = await verifyAuditChain(whole.reopen(), whole.publicKey);
  t.equal(result.ok, false);
  t.equal(result.problems[0]!.code, 'TAIL_TRUNCATED');
  t.equal(result.problems[0]!.seq, 10);

  const cut = await populated();
  const cutFile = join(cut.segmentDir, cut.segments[0]!);
  const text = readFileSync(cutFile, 'utf8');
  writeFileSync(cutFile, text.slice(0, text.length - 40));
  const cutResult = await verifyAuditChain(cut.reopen(), cut.publicKey);
  t.equal(cutResult.ok, false);
  t.equal(cutResult.problems[0]!.code, 'EVENT_UNREADABLE');
  t.equal(cutResult.problems[0]!.seq, 12);
});

t.test('a whole rewritten chain fails against the signed checkpoints; deleting them is detected too', async (t) => {
  const original = await populated(5);
  // Rewrite: a new chain with other content, written by a log with its own new key.
  rmSync(join(original.directory, 'segments'), { recursive: true });
  rmSync(join(original.directory, 'checkpoint-key.pem'));
  rmSync(join(original.directory, 'checkpoint-key.pem.pub'));
  const forged = await openTestAuditLog({ directory: original.directory });
  for (let i = 0; i < 5; i++) await forged.log.append({ type: 'request.received', data: { forged: i } });
  await forged.log.close();
  const result = await verifyAuditChain(original.reopen(), original.publicKey);
  t.equal(result.ok, false);
  t.ok(result.problems.some((p) => p.code === 'CHECKPOINT_SIGNATURE_INVALID'), 'the forger could not sign with the original key');
  t.ok(result.problems.some((p) => p.code === 'CHECKPOINT_MISMATCH'), 'the original checkpoints do not match the new chain');

  const deleted = await populated(5);
  rmSync(join(deleted.directory, 'checkpoints.jsonl'));
  const noCheckpoints = await verifyAuditChain(deleted.reopen(), deleted.publicKey);
  t.equal(noCheckpoints.ok, false);
  t.equal(noCheckpoints.problems[0]!.code, 'CHECKPOINT_MISSING');
});

t.test('a torn last record from a crash is moved aside at open and recorded', async (t) => {
  const setup = await populated(3);
  const file = join(setup.segmentDir, setup.segments[0]!);
  writeFileSync(file, `${readFileSync(file, 'utf8')}{"v":1,"seq":4,"id":"x`);
  const reopened = await openTestAuditLog({ directory: setup.directory });
  const next = await reopened.log.append({ type: 'request.received', data: {} });
  t.equal(next.seq, 5, 'seq 4 is the recovery event');
  await reopened.log.close();
  const result = await verifyAuditChain(setup.reopen(), setup.publicKey);
  t.same(result.problems, []);
  t.ok(readdirSync(setup.segmentDir).some((n) => n.includes('.torn-')), 'torn bytes kept');
  const recovery = JSON.parse(lines(file)[3]!);
  t.equal(recovery.type, 'audit.lifecycle');
  t.equal(recovery.data.event, 'torn-tail-recovered');
});

t.test('concurrent appends are chained in call order and all durable', async (t) => {
  const setup = await openTestAuditLog();
  const events = await Promise.all(Array.from({ length: 200 }, (_, i) => setup.log.append({ type: 'api.call', data: { i } })));
  t.same(events.map((e) => e.seq), Array.from({ length: 200 }, (_, i) => i + 1));
  await setup.log.close();
  const result = await verifyAuditChain(new JsonlSegmentStore({ directory: setup.directory }), setup.publicKey);
  t.equal(result.ok, true);
  t.equal(result.events, 200);
});

t.test('unknown event types are refused', async (t) => {
  const setup = await openTestAuditLog();
  await t.rejects(setup.log.append({ type: 'made.up' as never }), { code: 'AUDIT_EVENT_INVALID' });
  await setup.log.close();
});
