import t from 'tap';
import { randomBytes } from 'node:crypto';
import { SpillingPackSpool } from './pack-spool.js';

const bytes = randomBytes(200 * 1024);

for (const memoryLimitBytes of [1024 * 1024, 16 * 1024]) {
  const where = memoryLimitBytes > bytes.length ? 'in memory' : 'spilled to a file';
  t.test(`SpillingPackSpool reads back what was appended (${where})`, async (t) => {
    const spool = new SpillingPackSpool({ memoryLimitBytes });
    try {
      for (let at = 0; at < bytes.length; at += 7000) spool.append(bytes.subarray(at, at + 7000));
      t.equal(spool.path === undefined, memoryLimitBytes > bytes.length, where);
      const own = spool.read(1000, 50_000);
      t.ok(own.equals(bytes.subarray(1000, 51_000)), 'a range');
      own.fill(0);
      t.ok(spool.read(1000, 50_000).equals(bytes.subarray(1000, 51_000)), 'without scratch, the caller gets a buffer of its own');
      const scratch = Buffer.alloc(64 * 1024);
      const viaScratch = spool.read(150_000, 50_000, scratch);
      t.ok(viaScratch.equals(bytes.subarray(150_000, 200_000)), 'with scratch, the same bytes');
      if (spool.path !== undefined) t.equal(viaScratch.buffer, scratch.buffer, 'read into the scratch buffer, not a new one');
      t.ok(spool.read(0, 100_000, Buffer.alloc(10)).equals(bytes.subarray(0, 100_000)), 'a scratch buffer too small is not used');
      t.throws(() => spool.read(150_000, 60_000, scratch), RangeError, 'a range past the end is refused');
    } finally {
      spool.close();
    }
  });
}
