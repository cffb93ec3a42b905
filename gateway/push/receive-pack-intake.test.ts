import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureReceivePackRequests } from '../../testdata/receive-pack-requests.js';
import { CatFileObjectSource } from '../git/cat-file-object-source.js';
import { indexPackInWorker } from '../pack/index-pack-in-worker.js';
import { receivePush } from './receive-pack-intake.js';

const root = mkdtempSync(join(tmpdir(), 'gitgate-intake-'));
const requests = captureReceivePackRequests(root);

async function* chunks(body: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < body.length; i += 1000) yield body.subarray(i, i + 1000);
}

t.test('writeIdx writes the idx the pack indexer writes, without decoding again, also after close', async (t) => {
  const source = new CatFileObjectSource(join(root, 'remote.git'));
  try {
    for (const captured of requests.filter((r) => r.commands.length > 0 && r.name !== 'delete-only')) {
      const push = await receivePush(chunks(captured.body), { resolveExternalBase: (id) => source.read(id) });
      push.close();
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
