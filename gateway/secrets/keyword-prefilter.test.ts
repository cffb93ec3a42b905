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

t.test('finds overlapping and nested keywords case-insensitively', async (t) => {
  const keywords = ['he', 'she', 'his', 'hers', 'ghp_', 'hp_'];
  const prefilter = new KeywordPrefilter(keywords);
  const text = 'uSHErs said GHP_abc and hisHERS';
  t.same(pairs(prefilter.findAll(Buffer.from(text))), naive(keywords, text));
});

t.test('agrees with a naive search on random text', async (t) => {
  const keywords = ['ab', 'abc', 'bca', 'c', 'aab', 'xyz_', 'zz'];
  const prefilter = new KeywordPrefilter(keywords);
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 6);
  const text = Array.from({ length: 5000 }, () => 'abcxyz_Z'[next()]).join('');
  t.same(pairs(prefilter.findAll(Buffer.from(text))), naive(keywords, text));
});

t.test('respects the from/to bounds', async (t) => {
  const prefilter = new KeywordPrefilter(['key']);
  t.same(prefilter.findAll(Buffer.from('key key key'), 2, 9), [0, 4]);
});
