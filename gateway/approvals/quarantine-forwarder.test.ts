import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { captureReceivePackRequests } from '../../testdata/receive-pack-requests.js';
import { AuditPackStore } from '../audit/index.js';
import { keepQuarantinedPack } from './quarantine-forwarder.js';

const root = mkdtempSync(join(tmpdir(), 'gitgate-quarantine-'));
const requests = captureReceivePackRequests(join(root, 'captured'));
const packs = new AuditPackStore(join(root, 'packs'));

/** The body in chunks of `size` bytes, as a file stream would give it. */
const streamOf = (body: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(body.length / size) }, (_, i) => body.subarray(i * size, (i + 1) * size)));

t.test('a quarantined push is split into its command section and its pack, kept by the SHA-256 of the pack', async (t) => {
  for (const captured of requests.filter((r) => r.commands.length > 0 && r.name !== 'delete-only')) {
    const packStart = captured.body.indexOf('PACK');
    const pack = captured.body.subarray(packStart);
    // Chunks of 7 bytes put the command section's end, and the pack header, across chunks.
    for (const size of [7, 65536]) {
      const kept = await keepQuarantinedPack(streamOf(captured.body, size), packs);
      t.ok(kept.commandSection.equals(captured.body.subarray(0, packStart)), `${captured.name} (${size}-byte chunks): the command section`);
      t.same(kept.pack, { sha256: createHash('sha256').update(pack).digest('hex'), bytes: pack.length, objects: pack.readUInt32BE(8) }, `${captured.name}: the pack`);
      t.ok(readFileSync(packs.packPath(kept.pack!.sha256)).equals(pack), `${captured.name}: the kept file holds the pack bytes`);
    }
  }
});

t.test('a delete-only push has no pack to keep; a truncated one is refused', async (t) => {
  const deleteOnly = requests.find((r) => r.name === 'delete-only')!;
  const kept = await keepQuarantinedPack(streamOf(deleteOnly.body, 5), packs);
  t.equal(kept.pack, undefined);
  t.ok(kept.commandSection.equals(deleteOnly.body));
  const first = requests.find((r) => r.name === 'first push')!;
  await t.rejects(keepQuarantinedPack(streamOf(first.body.subarray(0, 20), 5), packs), { code: 'RECEIVE_PACK_TRUNCATED' }, 'cut inside the commands');
  const withoutPack = first.body.subarray(0, first.body.indexOf('PACK'));
  await t.rejects(keepQuarantinedPack(streamOf(withoutPack, 64), packs), { code: 'RECEIVE_PACK_TRUNCATED' }, 'commands that need a pack, and none');
});

t.test('a forward whose upstream had all of the push and failed before answering: failed, outcome unknown, then checked upstream', async (t) => {
  const { openTestAuditLog } = await import('../audit/audit-test-helpers.js');
  const { listAuditEvents } = await import('../audit/index.js');
  const { startHttpBackend } = await import('../../testdata/http-backend-server.js');
  const { ensureDemoRepository } = await import('../demo/demo-setup.js');
  const { resolveConfig } = await import('../config/load-config.js');
  const { UpstreamQuarantineForwarder } = await import('./quarantine-forwarder.js');
  const projectRoot = mkdtempSync(join(tmpdir(), 'gitgate-quarantine-upstream-'));
  ensureDemoRepository(projectRoot);
  // The real git http-backend, except that a push is read whole and then its connection is reset.
  const backend = await startHttpBackend(projectRoot, {
    holdRequest: (request) =>
      new Promise<void>((resolve) => {
        if (request.method !== 'POST' || !request.url?.endsWith('/git-receive-pack')) return resolve();
        request.resume().once('end', () => request.socket.destroy());
      }),
  });
  t.teardown(() => backend.close());
  const config = resolveConfig({ data_dir: 'data', upstreams: [{ type: 'http', name: 'backend', scheme: 'http', repositories: [`${backend.host}/demo/*`] }] }, projectRoot, join(projectRoot, 'gitgate.yaml'));
  const audit = await openTestAuditLog();
  t.teardown(() => audit.log.close());
  const forwarder = new UpstreamQuarantineForwarder(config, audit.log, new AuditPackStore(join(root, 'forward-packs')), undefined, [50, 100]);
  t.teardown(() => forwarder.stop());
  const first = requests.find((r) => r.name === 'first push')!;
  const request = { id: 'apr_test', repository: `${backend.host}/demo/hello`, repository_path: `${backend.host}/demo/hello`, refs: first.commands.map((c) => ({ ref: c.ref, old: c.oldId, new: c.newId, operation: 'create' })) };
  const result = await forwarder.forward(request as unknown as Parameters<typeof forwarder.forward>[0], streamOf(first.body, 65536));
  t.equal(result.outcome, 'failed');
  t.match(result.detail, [/^the upstream had all of it and failed before answering: the upstream http:\/\/127\.0\.0\.1:\d+\/demo\/hello\.git\/git-receive-pack closed the connection before answering: ECONNRESET; whether it applied it is unknown/]);
  const results = async () => listAuditEvents(audit.store, { type: 'upstream.result' });
  while ((await results()).length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
  const [failed, checked] = await results();
  t.match(failed!.data, { landed: null, nothing_applied: false, error: { code: 'UPSTREAM_FAILED' } });
  t.match(checked!.data, { reconciled: true, landed: [], refs: [{ ref: 'refs/heads/main', state: 'changed-since' }] }, 'the demo repository has its own main');
});
