import t from 'tap';
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ApprovalError } from './approval-errors.js';
import { approve } from './approval-state.js';
import { ApprovalStore, isApprovalId, newApprovalId } from './approval-store.js';
import { human, pendingRequest } from './approval-test-fixtures.js';

const NOW = new Date('2026-01-01T11:00:00.000Z');

t.test('ids are unguessable and checked before touching the disk', async (t) => {
  const ids = new Set(Array.from({ length: 1000 }, () => newApprovalId()));
  t.equal(ids.size, 1000);
  for (const id of ids) t.ok(isApprovalId(id), id);
  const store = new ApprovalStore(t.testdir());
  await t.rejects(store.get('../../etc/passwd'), { code: 'APPROVAL_NOT_FOUND' });
  t.equal(await store.get(newApprovalId()), undefined);
});

t.test('requests survive a new store over the same directory (a restart), newest first', async (t) => {
  const root = t.testdir();
  const store = new ApprovalStore(root);
  await store.init();
  const older = pendingRequest({ id: newApprovalId(), created_at: '2026-01-01T09:00:00.000Z' });
  const newer = pendingRequest({ id: newApprovalId(), created_at: '2026-01-01T10:00:00.000Z' });
  await store.create(older);
  await store.create(newer);
  await t.rejects(store.create(older), { code: 'APPROVAL_STORE_FAILED' });
  const reopened = new ApprovalStore(root);
  t.same((await reopened.list()).map((r) => r.id), [newer.id, older.id]);
  t.same(await reopened.get(older.id), older);
  t.same((await reopened.byFingerprint(older.fingerprint)).map((r) => r.id), [older.id, newer.id], 'both made for the same fingerprint, oldest first');
  t.same(await reopened.byFingerprint('sha256:' + 'f'.repeat(64)), []);
  t.equal(statSync(join(root, 'requests', `${older.id}.json`)).mode & 0o777, 0o600, 'private file');
});

t.test('concurrent updates from two stores (two processes) are serialised: none is lost', async (t) => {
  const root = t.testdir();
  const one = new ApprovalStore(root);
  const two = new ApprovalStore(root);
  await one.init();
  const request = pendingRequest({ id: newApprovalId(), requirements: [{ group: 'production-review', count: 20, reason: 'many' }] });
  await one.create(request);
  const approvers = Array.from({ length: 20 }, (_, i) => human(`approver-${i}`));
  await Promise.all(approvers.map((a, i) => (i % 2 === 0 ? one : two).update(request.id, (r) => approve(r, a, `ok ${i}`, NOW))));
  const final = (await one.get(request.id))!;
  t.equal(final.approvals.length, 20);
  t.equal(final.state, 'approved');
  t.same(readdirSync(join(root, 'requests')), [`${request.id}.json`], 'no lock or temporary file left');
});

t.test('a failing change writes nothing; a stale lock from a dead process is taken over', async (t) => {
  const root = t.testdir();
  const store = new ApprovalStore(root);
  await store.init();
  const request = pendingRequest({ id: newApprovalId() });
  await store.create(request);
  await t.rejects(
    store.update(request.id, () => {
      throw new ApprovalError('APPROVAL_NOT_PENDING', 'no');
    }),
    { code: 'APPROVAL_NOT_PENDING' },
  );
  t.same(await store.get(request.id), request);
  await t.rejects(store.update(newApprovalId(), (r) => r), { code: 'APPROVAL_NOT_FOUND' });
  const lock = join(root, 'requests', `${request.id}.json.lock`);
  writeFileSync(lock, '');
  const old = new Date(Date.now() - 60_000);
  utimesSync(lock, old, old);
  const updated = await store.update(request.id, (r) => approve(r, human('alice'), 'after a crash', NOW));
  t.equal(updated.state, 'approved');
});

t.test('quarantine and file contents', async (t) => {
  const store = new ApprovalStore(t.testdir());
  await store.init();
  const id = newApprovalId();
  await store.writeQuarantine(id, Readable.from([Buffer.from('0000'), Buffer.from('PACK')]));
  t.equal(await store.quarantineSize(id), 8);
  const chunks: Buffer[] = [];
  for await (const chunk of (await store.readQuarantine(id))!) chunks.push(chunk as Buffer);
  t.equal(Buffer.concat(chunks).toString(), '0000PACK');
  await store.removeQuarantine(id);
  t.equal(await store.readQuarantine(id), undefined);
  await store.writeContents(id, [{ ref: 'refs/heads/main', path: 'a.txt', status: 'added', new_text: 'hi\n' }]);
  t.same(await store.readContents(id), [{ ref: 'refs/heads/main', path: 'a.txt', status: 'added', new_text: 'hi\n' }]);
  t.same(await store.readContents(newApprovalId()), []);
});
