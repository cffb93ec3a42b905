import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPack } from '../../testdata/pack-builder.js';
import { captureReceivePackRequests } from '../../testdata/receive-pack-requests.js';
import { CatFileObjectSource } from '../git/cat-file-object-source.js';
import { indexPackInWorker } from '../pack/index-pack-in-worker.js';
import { receivePush } from './receive-pack-intake.js';

const root = mkdtempSync(join(tmpdir(), 'gitgate-intake-'));
const requests = captureReceivePackRequests(root);

async function* chunks(body: Buffer, size = 1000): AsyncGenerator<Buffer> {
  for (let i = 0; i < body.length; i += size) yield body.subarray(i, i + size);
}

t.test('writeIdx writes the idx the pack indexer writes, without decoding again, also after close', async (t) => {
  const source = new CatFileObjectSource(join(root, 'remote.git'));
  try {
    for (const captured of requests.filter((r) => r.commands.length > 0 && r.name !== 'delete-only')) {
      const push = await receivePush(chunks(captured.body), { resolveExternalBase: (id) => source.read(id) });
      const decoded = push.pushed.commits.size + push.pushed.trees.size + push.pushed.blobs.size;
      push.close();
      t.ok(decoded > 0 && push.pushed.commits.size + push.pushed.trees.size + push.pushed.blobs.size + push.pushed.tags.size === 0, `${captured.name}: close lets the ${decoded} decoded objects go`);
      const ours = join(root, `${captured.name}.idx`);
      await push.writeIdx(ours);
      const packStart = captured.body.indexOf('PACK');
      const packPath = join(root, `${captured.name}.pack`);
      writeFileSync(packPath, captured.body.subarray(packStart));
      const reference = join(root, `${captured.name}.reference.idx`);
      await indexPackInWorker({ pack: packPath, idxPath: reference, baseRepo: join(root, 'remote.git') });
      t.ok(readFileSync(ours).equals(readFileSync(reference)), `${captured.name}: same idx`);
    }
  } finally {
    source.close();
  }
  const deleteOnly = requests.find((r) => r.name === 'delete-only')!;
  const push = await receivePush(chunks(deleteOnly.body));
  await t.rejects(push.writeIdx(join(root, 'none.idx')), { code: 'PUSH_REQUEST_INVALID' }, 'no pack, no idx');
});

t.test('the pack is hashed as it arrives and saved synced: a link to the spool file when it spilled, else a write', async (t) => {
  const pkt = (text: string) => `${(text.length + 4).toString(16).padStart(4, '0')}${text}`;
  // Another file system than the saved file's (tmpfs): the link fails and the spool is copied.
  const otherFileSystem = mkdtempSync(join('/dev/shm', 'gitgate-spool-'));
  t.teardown(() => rmSync(otherFileSystem, { recursive: true, force: true }));
  t.not(statSync(otherFileSystem).dev, statSync(root).dev, '/dev/shm is another file system');
  // The spool keeps 8 MiB in memory: 9 MiB of incompressible blob spills to a file.
  const cases = [
    ['in memory', 1000, 'written', mkdtempSync(join(root, 'spool-'))],
    ['spilled', 9 * 1024 * 1024, 'linked', mkdtempSync(join(root, 'spool-'))],
    ['spilled to another file system', 9 * 1024 * 1024, 'copied', otherFileSystem],
  ] as const;
  for (const [name, blobBytes, how, spoolDirectory] of cases) {
    const spills = how !== 'written';
    const blob = randomBytes(blobBytes);
    const blobId = createHash('sha1').update(`blob ${blob.length}\0`).update(blob).digest('hex');
    const pack = buildPack([{ kind: 'blob', content: blob }]);
    const body = Buffer.concat([Buffer.from(`${pkt(`${'0'.repeat(40)} ${blobId} refs/heads/blob\0report-status\n`)}0000`), pack]);
    const push = await receivePush(chunks(body, 65536), { spoolDirectory });
    t.equal(push.packSha256, createHash('sha256').update(pack).digest('hex'), `${name}: the SHA-256 of the pack bytes`);
    const saved = join(root, `saved-${how}.pack`);
    await push.savePack(saved);
    t.ok(readFileSync(saved).equals(pack), `${name}: the saved file holds the pack bytes`);
    t.equal(statSync(saved).nlink, how === 'linked' ? 2 : 1, `${name}: ${how === 'linked' ? 'a hard link to the spool file' : 'a file of its own'}`);
    t.equal(readdirSync(spoolDirectory).length, spills ? 1 : 0, `${name}: the spool is in the directory given`);
    await t.rejects(push.savePack(saved), { code: 'EEXIST' }, `${name}: an existing file is never overwritten`);
    push.close();
    t.same(readdirSync(spoolDirectory), [], `${name}: closing the push removes its spool`);
    t.ok(readFileSync(saved).equals(pack), `${name}: the saved pack outlives the spool`);
  }
  const deleteOnly = requests.find((r) => r.name === 'delete-only')!;
  const push = await receivePush(chunks(deleteOnly.body));
  t.equal(push.packSha256, undefined);
  await t.rejects(push.savePack(join(root, 'none.pack')), { code: 'PUSH_REQUEST_INVALID' }, 'no pack, nothing to save');
});

t.test('a pack beyond a limit is refused as too large, naming the limit, with the commands known', async (t) => {
  const captured = requests.find((r) => r.name === 'first push')!;
  await t.rejects(receivePush(chunks(captured.body), { limits: { maxObjectCount: 1 } }), {
    name: 'PushError',
    code: 'PUSH_TOO_LARGE',
    message: /^the pushed pack is beyond what gitgate accepts: .*\(PACK_LIMIT_OBJECT_COUNT\)$/,
    request: { commands: [{ ref: 'refs/heads/main' }] },
  });
});
