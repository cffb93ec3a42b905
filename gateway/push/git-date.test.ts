import t from 'tap';
import { randomInt } from 'node:crypto';
import type { GitIdentity } from '../../pack-parser/index.js';
import { rfc3339TimeOf } from './git-date.js';

function identity(timestamp: number, timezoneOffsetMinutes: number): GitIdentity {
  const sign = timezoneOffsetMinutes < 0 ? '-' : '+';
  const minutes = Math.abs(timezoneOffsetMinutes);
  const timezone = `${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}${String(minutes % 60).padStart(2, '0')}`;
  return { name: 'A', email: 'a@example.com', timestamp, timezone, timezoneOffsetMinutes };
}

/** The same text from JavaScript's Date, which is exact wherever it is defined. */
function reference(timestamp: number, offsetMinutes: number): string {
  const local = new Date((timestamp + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
  const minutes = Math.abs(offsetMinutes);
  return `${local}${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

t.test('matches Date on fixed and random times, zones on both sides, leap days and year ends', async (t) => {
  const fixed: Array<[number, number]> = [
    [0, 0],
    [0, -60], // 1969-12-31T23:00:00-01:00
    [0, -(99 * 60 + 59)], // the widest zone git writes: -9959
    [1_700_000_000, 0],
    [1_700_000_000, 330],
    [951_782_400, 0], // 2000-02-29
    [4_107_542_400, 0], // 2100-03-01, after a non-leap 2100-02-28
    [253_402_300_799, 0], // 9999-12-31T23:59:59Z
    [253_402_300_799 + 3600, -60], // the same local time, an hour further west
  ];
  for (const [timestamp, offset] of fixed) t.equal(rfc3339TimeOf(identity(timestamp, offset), 'author', 'c'), reference(timestamp, offset), `${timestamp} ${offset}`);
  for (let i = 0; i < 20_000; i++) {
    const timestamp = randomInt(0, 253_402_000_000);
    const offset = randomInt(-(14 * 60), 14 * 60 + 1);
    const expected = reference(timestamp, offset);
    const actual = rfc3339TimeOf(identity(timestamp, offset), 'committer', 'c');
    if (actual !== expected) {
      t.equal(actual, expected, `${timestamp} ${offset}`);
      return;
    }
  }
  t.pass('20,000 random times agree');
});

t.test('a date beyond the year 9999 is refused with a PushError naming the commit', async (t) => {
  for (const [timestamp, offset] of [[253_402_300_800, 0], [253_402_300_799, 1], [Number.MAX_SAFE_INTEGER, 0]] as const) {
    t.throws(() => rfc3339TimeOf(identity(timestamp, offset), 'author', 'c0ffee'), {
      name: 'PushError',
      code: 'PUSH_PACK_INVALID',
      message: new RegExp(`^the author of c0ffee is dated ${timestamp} [+]\\d{4}, beyond the year 9999`),
    });
  }
});
