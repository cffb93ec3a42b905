import t from 'tap';
import { KeywordPrefilter } from './keyword-prefilter.js';

function naive(keywords: string[], text: string): string[] {
  const lower = text.toLowerCase();
  const hits: string[] = [];
  keywords.forEach((k, id) => {
    for (let at = lower.indexOf(k); at !== -1; at = lower.indexOf(k, at + 1)) hits.push(`${id}@${at}`);
  });
  return hits.sort();
}

function pairs(flat: number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push(`${flat[i]}@${flat[i + 1]}`);
  return out.sort();
}

// Both layouts of the automaton: by byte (what the default rules get) and by byte class (what a
// rule set with far more keywords falls back to).
for (const [layout, options] of [['by byte', {}], ['by byte class', { maxDirectStates: 0 }]] as const) {
  t.test(`${layout}: finds overlapping and nested keywords case-insensitively`, async (t) => {
    const keywords = ['he', 'she', 'his', 'hers', 'ghp_', 'hp_'];
    const prefilter = new KeywordPrefilter(keywords, options);
    const text = 'uSHErs said GHP_abc and hisHERS';
    t.same(pairs(prefilter.findAll(Buffer.from(text))), naive(keywords, text));
  });

  t.test(`${layout}: agrees with a naive search on random text`, async (t) => {
    const keywords = ['ab', 'abc', 'bca', 'c', 'aab', 'xyz_', 'zz'];
    const prefilter = new KeywordPrefilter(keywords, options);
    let seed = 7;
    const next = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 6);
    const text = Array.from({ length: 5000 }, () => 'abcxyz_Z'[next()]).join('');
    t.same(pairs(prefilter.findAll(Buffer.from(text))), naive(keywords, text));
  });

  t.test(`${layout}: respects the from/to bounds`, async (t) => {
    const prefilter = new KeywordPrefilter(['key'], options);
    t.same(prefilter.findAll(Buffer.from('key key key'), 2, 9), [0, 4]);
  });
}

t.test('the two layouts agree on every byte value, with the default keywords', async (t) => {
  const keywords = ['ghp_', 'akia', 'secret', 'password', 'token', 'key', 'api', '-----begin', 'xox', '\u00e9t\u00e9'];
  const byByte = new KeywordPrefilter(keywords);
  const byClass = new KeywordPrefilter(keywords, { maxDirectStates: 0 });
  let seed = 11;
  const bytes = Buffer.alloc(200_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 23;
  // Keywords planted in random bytes, in both cases, and some cut short.
  for (let at = 0; at + 20 < bytes.length; at += 997) {
    const keyword = keywords[at % keywords.length]!;
    const text = at % 3 === 0 ? keyword.toUpperCase() : at % 3 === 1 ? keyword : keyword.slice(0, -1);
    bytes.write(text, at, 'utf8');
  }
  const found = byByte.findAll(bytes);
  // 134 whole keywords are planted; the upper-cased "été" ones do not match (case is folded for ASCII only).
  t.ok(found.length / 2 >= 120, `the planted keywords are found (${found.length / 2} hits)`);
  t.same(found, byClass.findAll(bytes));
});
