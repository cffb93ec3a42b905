import type { GitIdentity } from '../../pack-parser/index.js';
import { PushError } from './errors.js';

const SECONDS_PER_DAY = 86_400;
/** 9999-12-31T23:59:59 as seconds since the epoch: the last time RFC 3339 can write. */
const LAST_RFC3339_SECOND = 253_402_300_799;

const twoDigits = (value: number): string => (value < 10 ? `0${value}` : String(value));

/**
 * The time of an author, committer or tagger line in its own time zone, as the policy input
 * writes it (RFC 3339, e.g. `2023-11-14T22:13:20+01:00`). Integer arithmetic (the proleptic
 * Gregorian calendar, days to civil date as in H. Hinnant's `civil_from_days`), no Date object.
 *
 * git accepts any timestamp up to 2^63 - 1; RFC 3339 ends with the year 9999. A commit dated
 * beyond it (only a forged one is) cannot be described to the policy, so the push is refused
 * with a PushError that says which commit and why.
 */
export function rfc3339TimeOf(identity: GitIdentity, role: 'author' | 'committer' | 'tagger', objectId: string): string {
  const offsetMinutes = identity.timezoneOffsetMinutes;
  const local = identity.timestamp + offsetMinutes * 60;
  if (!Number.isSafeInteger(local) || local > LAST_RFC3339_SECOND) {
    throw new PushError(
      'PUSH_PACK_INVALID',
      `the ${role} of ${objectId} is dated ${identity.timestamp} ${identity.timezone}, beyond the year 9999, which the policy input cannot express; ` +
        'rewrite the commit with a real date (git commit --amend --date, or git rebase)',
    );
  }
  const days = Math.floor(local / SECONDS_PER_DAY);
  const secondOfDay = local - days * SECONDS_PER_DAY;
  // civil_from_days: eras of 400 years (146,097 days) starting on 0000-03-01.
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);

  const hour = Math.floor(secondOfDay / 3600);
  const minute = Math.floor((secondOfDay % 3600) / 60);
  const second = secondOfDay % 60;
  const zoneMinutes = Math.abs(offsetMinutes);
  const zone = `${offsetMinutes < 0 ? '-' : '+'}${twoDigits(Math.floor(zoneMinutes / 60))}:${twoDigits(zoneMinutes % 60)}`;
  return `${String(year).padStart(4, '0')}-${twoDigits(month)}-${twoDigits(day)}T${twoDigits(hour)}:${twoDigits(minute)}:${twoDigits(second)}${zone}`;
}
