import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { resolveConfig } from '../config/load-config.js';
import { ensureDemoRepository } from '../demo/demo-setup.js';
import { GitClient } from '../e2e/git-client.js';
import { openTestAuditLog } from './audit-test-helpers.js';
import { CheckpointSigner } from './checkpoint-signer.js';
import { listAuditEvents, summarizeRequests } from './audit-queries.js';
import { AuditPackStore } from './pack-store.js';
import { parseReceivePackReport } from '../push/receive-pack-report.js';
import { pendingForwards, reconcileForwards } from './reconcile-forwards.js';

const git = new GitClient();

t.test('the signing key is created 0600, its public key beside it; a key others can read is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-key-'));
  const path = join(dir, 'sub', 'key.pem');
  const signer = CheckpointSigner.loadOrCreate(path);
  const { statSync } = await import('node:fs');
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.equal(readFileSync(`${path}.pub`, 'utf8'), signer.publicKeyPem);
  t.equal(CheckpointSigner.loadOrCreate(path).keyId, signer.keyId, 'the same key is loaded again');
  t.notMatch(JSON.stringify(signer), /PRIVATE/, 'never serialized');
  chmodSync(path, 0o644);
  t.throws(() => CheckpointSigner.loadOrCreate(path), { code: 'AUDIT_KEY_INVALID', message: /readable by others.*chmod 600/ });
  writeFileSync(join(dir, 'junk.pem'), 'not a key', { mode: 0o600 });
  t.throws(() => CheckpointSigner.loadOrCreate(join(dir, 'junk.pem')), { code: 'AUDIT_KEY_INVALID' });
});

t.test('packs are kept once per content and pruned after the retention', async (t) => {
  const store = new AuditPackStore(mkdtempSync(join(tmpdir(), 'gitgate-packs-')), 30);
  const a = await store.put([Buffer.from('PACK one')]);
  const again = await store.put([Buffer.from('PACK '), Buffer.from('one')]);
  t.same(again, a, 'same content, same file');
  const b = await store.put([Buffer.from('PACK two')]);
  const old = new Date(Date.now() - 31 * 86_400_000);
  utimesSync(store.packPath(a.sha256), old, old);
  t.equal(await store.prune(), 1);
  t.notOk(store.has(a.sha256));
  t.ok(store.has(b.sha256));
});

t.test('a pack file of several MiB is kept whole, hashed right and verified', async (t) => {
  const store = new AuditPackStore(mkdtempSync(join(tmpdir(), 'gitgate-packs-')), 30);
  const source = join(mkdtempSync(join(tmpdir(), 'gitgate-pack-file-')), 'big.pack');
  // Not a multiple of the 1 MiB read size: the last chunk is short.
  const bytes = Buffer.concat([Buffer.from('PACK'), randomBytes(3 * 1024 * 1024 + 12345)]);
  writeFileSync(source, bytes);
  const stored = await store.putFile(source);
  t.same(stored, { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length });
  t.ok(readFileSync(store.packPath(stored.sha256)).equals(bytes), 'the kept file is the same bytes');
  t.same(await store.verify(), { checked: 1, altered: [] });
  const altered = Buffer.from(bytes);
  altered[2 * 1024 * 1024]! ^= 1;
  writeFileSync(store.packPath(stored.sha256), altered);
  t.same(await store.verify(), { checked: 1, altered: [`${stored.sha256}.pack`] }, 'a change past the first chunks is found');
});

t.test('git reads an input file as its standard input; a missing one is an error', async (t) => {
  const { runGit } = await import('./run-git.js');
  const file = join(mkdtempSync(join(tmpdir(), 'gitgate-run-git-')), 'input');
  writeFileSync(file, 'hello from a file\n');
  const fromFile = (await runGit(['hash-object', '--stdin'], { inputFile: file })).toString().trim();
  const fromInput = (await runGit(['hash-object', '--stdin'], { input: 'hello from a file\n' })).toString().trim();
  t.match(fromFile, /^[0-9a-f]{40}$/);
  t.equal(fromFile, fromInput, 'the same object id as the same bytes written to its standard input');
  await t.rejects(runGit(['hash-object', '--stdin'], { inputFile: join(file, 'missing') }), /ENOENT|ENOTDIR/);
});

t.test('a pack hashed on arrival is kept by its hash, synced, once; a failing save keeps nothing', async (t) => {
  const store = new AuditPackStore(mkdtempSync(join(tmpdir(), 'gitgate-packs-')), 30);
  const bytes = Buffer.from('PACK known');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let saves = 0;
  const known = { sha256, bytes: bytes.length, save: async (path: string) => (saves++, writeFileSync(path, bytes, { flag: 'wx' })) };
  t.same(await store.keep(known), { sha256, bytes: bytes.length });
  t.ok(readFileSync(store.packPath(sha256)).equals(bytes));
  t.same(await store.keep(known), { sha256, bytes: bytes.length }, 'kept again: the same file');
  t.equal(saves, 1, 'a pack already kept is not written again');
  t.same(await store.put([bytes]), { sha256, bytes: bytes.length }, 'the same name as put gives the same bytes');
  const failing = { sha256: 'f'.repeat(64), bytes: 1, save: async (path: string) => (writeFileSync(path, 'x'), Promise.reject(new Error('disk full'))) };
  await t.rejects(store.keep(failing), { code: 'AUDIT_STORE_FAILED', message: /disk full/ });
  t.notOk(store.has('f'.repeat(64)));
  t.same(readdirSync(store.directory).filter((name) => name.startsWith('.incoming')), [], 'no partial file left');
  const spool = store.spoolDirectory();
  writeFileSync(join(spool, 'left-by-a-crash'), 'x');
  writeFileSync(join(store.directory, '.incoming-0b5e1c2a'), 'half a pack');
  writeFileSync(`${store.idxPath(sha256)}.incoming-4242-1700000000000`, 'half an idx');
  store.clearLeftovers();
  t.notOk(existsSync(spool), 'clearLeftovers removes what a previous process spooled');
  t.same(readdirSync(store.directory).sort(), [`${sha256}.pack`], 'and half-written files; kept packs stay');
  t.ok(existsSync(store.spoolDirectory()), 'the spool directory is there again when asked for');
  t.doesNotThrow(() => new AuditPackStore(join(store.directory, 'never-created')).clearLeftovers(), 'a store with nothing kept yet has nothing to clear');
});

t.test('report-status is read with and without side-band', async (t) => {
  const pkt = (s: string) => Buffer.from(`${(s.length + 4).toString(16).padStart(4, '0')}${s}`);
  const plain = Buffer.concat([pkt('unpack ok\n'), pkt('ok refs/heads/main\n'), pkt('ng refs/heads/x hook declined\n'), Buffer.from('0000')]);
  t.same(parseReceivePackReport(plain), { unpack: 'ok', refs: [{ ref: 'refs/heads/main', ok: true }, { ref: 'refs/heads/x', ok: false, reason: 'hook declined' }], progress: '' });
  const banded = Buffer.concat([pkt(`\x02progress\n`), pkt(`\x01${plain.toString('latin1')}`), Buffer.from('0000')]);
  t.same(parseReceivePackReport(banded).refs.map((r) => r.ok), [true, false]);
});

t.test('checkpoints are signed periodically', async (t) => {
  const setup = await openTestAuditLog({ checkpointIntervalMs: 30 });
  await setup.log.append({ type: 'request.received', data: {} });
  await new Promise((resolve) => setTimeout(resolve, 120));
  const checkpoints = await setup.store.checkpoints();
  t.ok(checkpoints.some((c) => c.seq === 1), 'the new head was signed without a close');
  await setup.log.close();
});

t.test('reconciliation: landed, not landed and changed since, from the upstream refs', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'gitgate-reconcile-'));
  const gitDir = ensureDemoRepository(join(root, 'upstream'));
  const main = (await git.ok(['--git-dir', gitDir, 'rev-parse', 'refs/heads/main'], root)).trim();
  const parent = (await git.ok(['--git-dir', gitDir, 'rev-parse', 'refs/heads/main~1'], root)).trim();
  const config = resolveConfig({ data_dir: 'data', upstreams: [{ type: 'file', name: 'local', path: 'upstream' }] }, root, join(root, 'gitgate.yaml'));
  const setup = await openTestAuditLog();
  const intent = (id: string, commands: object[], path = 'demo/hello') =>
    setup.log.append({ type: 'upstream.forward', request_id: id, repository: path, data: { repository_path: path, commands } });
  await intent('landed', [{ ref: 'refs/heads/main', old: parent, new: main }]);
  await intent('not-landed', [{ ref: 'refs/heads/main', old: main, new: parent }]);
  await intent('moved', [{ ref: 'refs/heads/main', old: 'a'.repeat(40), new: 'b'.repeat(40) }, { ref: 'refs/heads/gone', old: main, new: '0'.repeat(40) }]);
  await intent('done', [{ ref: 'refs/heads/main', old: parent, new: main }]);
  await setup.log.append({ type: 'upstream.result', request_id: 'done', data: { status: 200 } });
  await intent('unknown-repo', [], 'nobody/nothing');
  // The upstream failed before answering once it had the push: its outcome is unknown, still pending.
  await intent('unknown-outcome', [{ ref: 'refs/heads/main', old: parent, new: main }]);
  await setup.log.append({ type: 'upstream.result', request_id: 'unknown-outcome', data: { status: null, landed: null, nothing_applied: false, error: { code: 'UPSTREAM_FAILED', message: 'reset' } } });
  t.equal((await pendingForwards(setup.store)).length, 5);
  const summaryOf = async (id: string) => (await summarizeRequests(setup.store)).find((row) => row.request_id === id);
  t.match(await summaryOf('unknown-outcome'), { landed: null, outcome_unknown: true }, 'listed as unknown until checked');
  const summary = await reconcileForwards(setup.store, setup.log, config, pino({ level: 'silent' }));
  t.same(summary, { pending: 5, reconciled: 4, failed: 1 });
  const results = await listAuditEvents(setup.store, { type: 'upstream.result' });
  const stateOf = (id: string) => (results.find((r) => r.request_id === id)!.data['refs'] as { state: string }[]).map((r) => r.state);
  t.same(stateOf('landed'), ['landed']);
  t.same(stateOf('not-landed'), ['not-landed']);
  t.same(stateOf('moved'), ['changed-since', 'landed'], 'a deletion landed when the ref is gone');
  t.match(results.filter((r) => r.request_id === 'unknown-outcome').map((r) => r.data), [{ landed: null }, { reconciled: true, landed: ['refs/heads/main'] }], 'the unknown outcome, then the checked one');
  const checked = await summaryOf('unknown-outcome');
  t.same([checked?.landed, checked?.outcome_unknown], [['refs/heads/main'], undefined], 'then listed with what landed');
  const errors = await listAuditEvents(setup.store, { type: 'error' });
  t.match(errors.at(-1)!.data, { code: 'RECONCILE_FAILED' });
  t.same((await pendingForwards(setup.store)).map((e) => e.request_id), ['unknown-repo'], 'tried again at the next start');
  await setup.log.close();
});

t.test('a forward made outside a git request (approved from quarantine) has intent and outcome, and is reconciled', async (t) => {
  const { recordForwardIntent, recordForwardOutcome } = await import('./forward-audit.js');
  const setup = await openTestAuditLog();
  const forward = { audit: setup.log, requestId: 'push-1', actor: null, repository: 'demo/hello', repositoryPath: 'demo/hello', upstreamUrl: 'file:///up', commands: [{ ref: 'refs/heads/main', old: 'a'.repeat(40), new: 'b'.repeat(40) }], approvalId: 'apr_1' };
  await recordForwardIntent(forward);
  t.equal((await pendingForwards(setup.store)).length, 1, 'an intent alone is pending');
  await recordForwardOutcome(forward, { status: 200, report: { unpack: 'ok', refs: [{ ref: 'refs/heads/main', ok: true }], progress: '' } });
  t.equal((await pendingForwards(setup.store)).length, 0);
  const [result] = await listAuditEvents(setup.store, { type: 'upstream.result' });
  t.match(result!.data, { landed: ['refs/heads/main'], approval_id: 'apr_1' });
  await setup.log.close();
});

t.test('one writer per audit directory; a lock left by a dead process is taken over', async (t) => {
  const { JsonlSegmentStore } = await import('./jsonl-segment-store.js');
  const setup = await openTestAuditLog();
  await t.rejects(new JsonlSegmentStore({ directory: setup.directory }).open(), { code: 'AUDIT_STORE_FAILED', message: /another gitgate process \(pid \d+\) writes the audit log/ });
  await setup.log.append({ type: 'request.received', data: {} });
  await setup.log.close();
  writeFileSync(join(setup.directory, 'writer.lock'), '2147483646\n');
  const store = new JsonlSegmentStore({ directory: setup.directory });
  const { head } = await store.open();
  t.ok(head.seq >= 1, 'opened after taking over the stale lock');
  await store.close();
});
