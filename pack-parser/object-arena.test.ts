import t from 'tap';
import { ObjectArena } from './object-arena.js';

function fill(buffer: Buffer, key: number): void {
  for (let i = 0; i < buffer.length; i++) buffer[i] = (key * 31 + i) & 0xff;
}

function intact(buffer: Buffer, key: number): boolean {
  for (let i = 0; i < buffer.length; i++) if (buffer[i] !== ((key * 31 + i) & 0xff)) return false;
  return true;
}

t.test('whatever the arena still returns is intact, under random use', async (t) => {
  const arena = new ObjectArena(64 * 1024);
  let seed = 99;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const lengths = new Map<number, number>();
  let corrupt = 0;
  let hits = 0;
  let wrongLength = 0;
  for (let key = 0; key < 20_000; key++) {
    const header = random(30);
    const length = random(5000);
    const region = arena.allocate(key, header, length);
    if (region.length !== header + length) wrongLength++;
    fill(region.subarray(header), key);
    lengths.set(key, length);
    for (let probe = 0; probe < 3; probe++) {
      const other = key - random(100);
      if (other < 0) continue;
      const got = arena.get(other);
      if (got === undefined) continue;
      hits++;
      if (got.length !== lengths.get(other) || !intact(got, other)) corrupt++;
    }
  }
  t.equal(wrongLength, 0, 'every allocation has the asked length');
  t.equal(corrupt, 0, 'no cached object was ever overwritten while still returned');
  t.ok(hits > 1000, `recent objects are found (${hits} hits)`);
});

t.test('a buffer read just before it would be evicted gets a second chance', async (t) => {
  const arena = new ObjectArena(64 * 1024);
  arena.allocate(1, 0, 1000).fill(1);
  for (let key = 2; key < 60; key++) arena.allocate(key, 0, 1000).fill(key);
  t.ok(arena.get(1), 'still there after 58 KiB of newer objects');
  for (let key = 60; key < 100; key++) arena.allocate(key, 0, 1000).fill(key);
  const again = arena.get(1);
  t.ok(again && again.every((b) => b === 1), 'moved to the newest end, so it survived the next round');
  t.equal(arena.get(3), undefined, 'an old object nobody read is gone');
});

t.test('wouldOverwrite tells when the next allocation reuses a buffer', async (t) => {
  const arena = new ObjectArena(64 * 1024);
  const first = arena.allocate(1, 0, 15 * 1024);
  for (let key = 2; key <= 4; key++) arena.allocate(key, 0, 15 * 1024);
  t.equal(arena.wouldOverwrite(first, 1024), false, 'room is left at the end');
  t.equal(arena.wouldOverwrite(first, 10 * 1024), true, 'wrapping reuses the oldest bytes');
  t.equal(arena.wouldOverwrite(Buffer.alloc(10), 1024), false, 'a buffer from elsewhere is never overwritten');
});

t.test('objects larger than a quarter of the budget are not kept', async (t) => {
  const arena = new ObjectArena(64 * 1024);
  const big = arena.allocate(1, 5, 20 * 1024);
  t.equal(big.length, 20 * 1024 + 5);
  t.equal(arena.get(1), undefined);
});
