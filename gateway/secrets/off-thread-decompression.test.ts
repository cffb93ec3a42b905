import t from 'tap';
import { randomBytes } from 'node:crypto';
import { compressedBy } from '../../testdata/secrets/archive-fixtures.js';
import { until } from '../../testdata/wait-until.js';
import { DecompressionThread } from './off-thread-decompression.js';

const text = Buffer.from('line one\nline two\n'.repeat(1000));

t.test('files are decoded in the order asked, each with its own result', async (t) => {
  const thread = new DecompressionThread();
  t.teardown(() => thread.close());
  const xz = compressedBy('xz', text);
  const results = await Promise.allSettled([
    thread.decompress('xz', xz, 1024 * 1024),
    thread.decompress('zstd', compressedBy('zstd', text), 1024 * 1024),
    thread.decompress('bzip2', compressedBy('bzip2', text), 1024 * 1024),
    thread.decompress('xz', xz.subarray(0, xz.length - 3), 1024 * 1024),
    thread.decompress('bzip2', compressedBy('bzip2', text), 100),
  ]);
  t.same(
    results.map((r) => (r.status === 'fulfilled' ? r.value?.equals(text) ?? 'past the limit' : r.reason.message)),
    [true, true, true, 'unexpected end of data', 'past the limit'],
  );
});

t.test('a view into a larger buffer sends only its own bytes', async (t) => {
  const thread = new DecompressionThread();
  t.teardown(() => thread.close());
  const zstd = compressedBy('zstd', text);
  const slab = Buffer.concat([Buffer.from('before'), zstd, Buffer.from('after')]);
  const decoded = await thread.decompress('zstd', slab.subarray(6, 6 + zstd.length), 1024 * 1024);
  t.ok(decoded?.equals(text));
  t.equal(slab.subarray(6, 6 + zstd.length).equals(zstd), true, 'the caller keeps its bytes');
});

t.test('a file past the time limit fails with the reason; the next gets a new worker', async (t) => {
  const thread = new DecompressionThread({ timeLimitMs: 50 });
  t.teardown(() => thread.close());
  // Random bytes decode from bzip2 at about 6 MB/s: 16 MiB takes seconds.
  const slow = compressedBy('bzip2', randomBytes(16 * 1024 * 1024), ['-1']);
  const started = performance.now();
  const tooSlow = thread.decompress('bzip2', slow, 64 * 1024 * 1024);
  const first = thread.workerThreadId;
  await t.rejects(tooSlow, { message: 'decoding it took longer than 0.05 s, the most gitgate allows' });
  t.ok(performance.now() - started < 2000, 'ended at the limit, not when the decoder finished');
  t.equal(thread.workerThreadId, undefined, 'its worker is gone');
  t.ok((await thread.decompress('xz', compressedBy('xz', 'x'), 10))?.equals(Buffer.from('x')), 'a small file after it is decoded');
  t.not(thread.workerThreadId, first, 'by a new worker');
});

t.test('closing fails what is still waiting or decoding, and a later file starts a worker again', async (t) => {
  const thread = new DecompressionThread();
  const slow = compressedBy('bzip2', randomBytes(4 * 1024 * 1024), ['-1']);
  const decoding = thread.decompress('bzip2', slow, 64 * 1024 * 1024);
  const waiting = thread.decompress('xz', compressedBy('xz', text), 1024 * 1024);
  const refused = [t.rejects(decoding, { message: 'the decompression thread was closed' }), t.rejects(waiting, { message: 'the decompression thread was closed' })];
  await thread.close();
  await Promise.all(refused);
  t.ok((await thread.decompress('zstd', compressedBy('zstd', text), 1024 * 1024))?.equals(text));
  await thread.close();
});

t.test('an idle worker ends, and the next file starts a new one', async (t) => {
  const thread = new DecompressionThread({ idleMs: 10 });
  t.teardown(() => thread.close());
  t.ok((await thread.decompress('zstd', compressedBy('zstd', text), 1024 * 1024))?.equals(text));
  const first = thread.workerThreadId;
  t.ok(first !== undefined, 'a worker decoded it');
  await until('the idle worker to end', () => thread.workerThreadId === undefined);
  t.ok((await thread.decompress('zstd', compressedBy('zstd', text), 1024 * 1024))?.equals(text));
  t.not(thread.workerThreadId, first, 'a new worker decoded the next');
});
