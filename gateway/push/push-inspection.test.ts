import t from 'tap';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { loadRuleSet, scanLargeText, SecretScanner } from '../secrets/index.js';
import { PushInspection } from './push-inspection.js';

function busy(milliseconds: number): void {
  const until = performance.now() + milliseconds;
  while (performance.now() < until);
}

t.test('a long inspection gives the event loop turns, and is refused past its time allowance', async (t) => {
  const inspection = new PushInspection({ budget: { milliseconds: 200 } });
  let turns = 0;
  const other = () => setImmediate(() => turns++);
  other();
  busy(5);
  await inspection.pause();
  t.equal(turns, 0, 'within a slice: no turn given');
  busy(25);
  await inspection.pause();
  t.equal(turns, 1, 'after a slice: other work ran');
  busy(200);
  await t.rejects(inspection.pause(), { name: 'PushError', code: 'PUSH_TOO_LARGE', message: 'inspecting this push took more than 0.2 s, longer than gitgate allows one push; push the history in smaller parts' });
});

t.test('what a scan reads out of archives counts against the scanning allowance', async (t) => {
  const scanner = new SecretScanner(loadRuleSet(), { fingerprintKey: randomBytes(32) });
  const inspection = new PushInspection({ budget: { scannedBytes: 1024 * 1024 } });
  const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024)); // 4 MiB of zeros in about 4 KB
  inspection.scanning(bomb.length);
  await t.rejects(scanLargeText(scanner, { path: 'bomb.gz', newContent: bomb }, () => inspection.pause(), inspection.archiveContext(scanner)), {
    code: 'PUSH_TOO_LARGE',
    message: /^this push holds more than 1048576 bytes to scan for secrets/,
  });
  const small = new PushInspection({ budget: { scannedBytes: 1024 * 1024 } });
  const archive = gzipSync('a small file\n');
  small.scanning(archive.length);
  await scanLargeText(scanner, { path: 'small.gz', newContent: archive }, () => small.pause(), small.archiveContext(scanner));
  t.equal(small.scannedBytes, archive.length + 'a small file\n'.length, 'the gzip and the file in it');
});
