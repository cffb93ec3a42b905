import t from 'tap';
import type { JsonValue } from './audit-types.js';
import { canonicalJson, toJsonValue } from './canonical-json.js';

/** The canonical text computed the slow way: from a plain parsed copy, which carries no marker. */
const slowCanonical = (value: JsonValue): string => canonicalJson(JSON.parse(JSON.stringify(value)) as JsonValue);

/** A small deterministic generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const KEY_PIECES = ['a', 'B', 'z', '_', '10', '9', '0', '007', 'é', 'Ω', '😀', ' ', '-1', '1.5', 'content', '"', '\\', '\n'];

function randomValue(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 4 || pick < 0.3) {
    const leaf = Math.floor(next() * 7);
    return [null, true, 42, -0.5, 'text "quoted"\n', '', undefined][leaf];
  }
  if (pick < 0.55) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 5); i > 0; i--) {
    const key = KEY_PIECES[Math.floor(next() * KEY_PIECES.length)]! + (next() < 0.3 ? KEY_PIECES[Math.floor(next() * KEY_PIECES.length)]! : '');
    out[key] = randomValue(next, depth + 1);
  }
  return out;
}

t.test('canonical JSON sorts keys at every level', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 'x' }], c: null } }), '{"a":{"c":null,"d":[1,{"y":"x","z":1}]},"b":1}');
});

t.test('converted values give the same canonical text as the slow path, keys like array indexes included', async (t) => {
  const indexLike = toJsonValue({ b: 1, 10: 'ten', 9: 'nine', a: [{ 2: 'x', 1: 'y' }] });
  t.equal(canonicalJson(indexLike), '{"10":"ten","9":"nine","a":[{"1":"y","2":"x"}],"b":1}', 'string order, as the slow path sorts');
  t.equal(canonicalJson(indexLike), slowCanonical(indexLike));
  const special = toJsonValue({ when: new Date(0), error: Object.assign(new Error('boom'), { code: 'E_X' }), bytes: Buffer.from('abc'), map: new Map([['k', 1]]), set: new Set(['s']), big: 12n, nan: Number.NaN, skip: undefined, fn: () => 1 });
  t.same(special, { big: '12', bytes: { bytes: 3 }, error: { code: 'E_X', message: 'boom', name: 'Error' }, map: { k: 1 }, nan: null, set: ['s'], when: '1970-01-01T00:00:00.000Z' });
  t.equal(canonicalJson(special), slowCanonical(special));
  const next = random(20261124);
  for (let i = 0; i < 2000; i++) {
    const value = toJsonValue(randomValue(next, 0));
    if (canonicalJson(value) !== slowCanonical(value)) {
      t.fail(`fast and slow canonical text differ for ${JSON.stringify(value)}`);
      return;
    }
  }
  t.pass('2,000 random values: the same text both ways');
});

t.test('the mask sees every string, keys included, with the key a value sits under', async (t) => {
  const seen: [string | undefined, string][] = [];
  const mask = (key: string | undefined, text: string) => {
    seen.push([key, text]);
    return text.replaceAll('SECRET', '***');
  };
  const value = toJsonValue({ list: ['a SECRET'], content: 'x', SECRETkey: { deep: new Error('SECRET in message') } }, mask);
  t.same(value, { '***key': { deep: { message: '*** in message', name: 'Error' } }, content: 'x', list: ['a ***'] });
  t.notMatch(JSON.stringify(value), /SECRET/);
  t.ok(seen.some(([key, text]) => key === 'content' && text === 'x'), 'a value is masked with its key (base64 content is decoded by that key)');
  t.ok(seen.some(([key, text]) => key === undefined && text === 'a SECRET'), 'array items have no key');
  t.ok(seen.some(([key, text]) => key === undefined && text === 'SECRETkey'), 'keys are masked too');
  t.equal(canonicalJson(value), slowCanonical(value));
});

t.test('two keys masked to the same text keep one entry and still give canonical text', async (t) => {
  const value = toJsonValue({ tokenA: 1, tokenB: 2 }, (_key, text) => text.replace(/token[AB]/, 'token*'));
  t.same(Object.keys(value as object), ['token*']);
  t.equal(canonicalJson(value), slowCanonical(value));
});
