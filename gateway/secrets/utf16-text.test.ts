import t, { type Test } from 'tap';
import { UTF16_MIN_STRING_CHARS, unmarkedUtf16Encoding, utf16LeStrings, utf16TextAsUtf8, utf16TextEncoding, utf16TextOf, type Utf16Alignment } from './utf16-text.js';

const BOM_LE = Buffer.from([0xff, 0xfe]);
const BOM_BE = Buffer.from([0xfe, 0xff]);
const le = (text: string) => Buffer.from(text, 'utf16le');
const be = (text: string) => le(text).swap16();

/** Deterministic bytes that hold no UTF-16 string of their own: no byte is zero. */
function noise(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = 1 + ((state >>> 24) % 255);
  }
  return out;
}

/** What utf16LeStrings must find, read the slow way: every offset, both alignments. */
function stringsTheSlowWay(content: Buffer, alignments: readonly Utf16Alignment[]): { start: number; text: string }[] {
  const found: { start: number; text: string }[] = [];
  for (const parity of [0, 1]) {
    if (!alignments.includes(parity === 0 ? 'even' : 'odd')) continue;
    let start = -1;
    for (let i = parity; i <= content.length; i += 2) {
      const c = content[i];
      const isChar = i + 1 < content.length && content[i + 1] === 0 && c !== undefined && (c === 9 || (c >= 0x20 && c <= 0x7e));
      if (isChar && start < 0) start = i;
      if (!isChar && start >= 0) {
        if ((i - start) / 2 >= UTF16_MIN_STRING_CHARS) found.push({ start, text: content.toString('utf16le', start, i) });
        start = -1;
      }
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

function stringsOf(t: Test, content: Buffer, alignments: readonly Utf16Alignment[] = ['even', 'odd']) {
  const { text, runs } = utf16LeStrings(content, alignments);
  const lines = text.toString('latin1').split('\n');
  t.equal(lines.pop(), '', 'every run ends with a newline');
  runs.forEach((run, i) => {
    t.equal(run.chars, lines[i]!.length);
    t.equal(content.toString('utf16le', run.sourceStart, run.sourceStart + 2 * run.chars), lines[i], 'the run is where it says');
    t.equal(text.toString('latin1', run.textStart, run.textStart + run.chars), lines[i]);
  });
  return runs.map((run, i) => ({ start: run.sourceStart, text: lines[i]! }));
}

t.test('a byte order mark names the encoding; nothing else does', async (t) => {
  t.equal(utf16TextEncoding(Buffer.concat([BOM_LE, le('key = 1')])), 'utf16le');
  t.equal(utf16TextEncoding(Buffer.concat([BOM_BE, be('key = 1')])), 'utf16be');
  t.equal(utf16TextEncoding(le('key = 1')), undefined, 'UTF-16 without a mark');
  t.equal(utf16TextEncoding(Buffer.from('\ufeffkey = 1', 'utf8')), undefined, 'UTF-8 with its mark');
  t.equal(utf16TextEncoding(Buffer.from([0xff])), undefined);
  t.equal(utf16TextEncoding(Buffer.alloc(0)), undefined);
});

t.test('UTF-16 text without a mark is recognised only when it is text throughout', async (t) => {
  const script = '$password = "not a real one"\r\nWrite-Host "Zoë: $password"\r\n';
  t.same(utf16TextOf(le(script)), { encoding: 'utf16le', start: 0 });
  t.same(utf16TextOf(be(script)), { encoding: 'utf16be', start: 0 });
  t.same(utf16TextOf(Buffer.concat([BOM_LE, le(script)])), { encoding: 'utf16le', start: 2 }, 'a mark wins');
  t.equal(utf16TextAsUtf8(le(script), { encoding: 'utf16le', start: 0 }).toString('utf8'), script);
  t.equal(unmarkedUtf16Encoding(Buffer.from(script, 'utf8')), undefined, 'UTF-8 text');
  t.equal(unmarkedUtf16Encoding(le('short text')), undefined, 'under 16 characters');
  t.equal(unmarkedUtf16Encoding(Buffer.concat([le(script), Buffer.from([0x41])])), undefined, 'an odd number of bytes');
  t.equal(unmarkedUtf16Encoding(Buffer.concat([le(script), Buffer.alloc(2), le(script)])), undefined, 'a NUL character');
  t.equal(unmarkedUtf16Encoding(Buffer.concat([le(script), Buffer.from([0x07, 0x00])])), undefined, 'a control character');
  t.equal(unmarkedUtf16Encoding(le('日本語のテキストです。'.repeat(4))), undefined, 'mostly outside ASCII: indistinguishable from bytes');
  t.equal(unmarkedUtf16Encoding(Buffer.concat([le(script.repeat(100)), Buffer.from('binary data follows here, not UTF-16 text at all '.repeat(60))])), undefined, 'text first, then other bytes');
  let random = 1;
  const noise = Buffer.alloc(1 << 16, 0).map(() => (random = (random * 1103515245 + 12345) & 0x7fffffff) >> 16);
  t.equal(unmarkedUtf16Encoding(noise), undefined, 'random bytes');
});

t.test('UTF-16 text decodes to the same text in UTF-8, lines where they were', async (t) => {
  const text = 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\Software\\Tool]\r\n"Name"="Zoë ☃ 𝄞"\r\n';
  t.equal(utf16TextAsUtf8(Buffer.concat([BOM_LE, le(text)]), { encoding: 'utf16le', start: 2 }).toString('utf8'), text);
  t.equal(utf16TextAsUtf8(Buffer.concat([BOM_BE, be(text)]), { encoding: 'utf16be', start: 2 }).toString('utf8'), text);
  t.equal(utf16TextAsUtf8(Buffer.concat([BOM_LE, le('ab'), Buffer.from([0x63])]), { encoding: 'utf16le', start: 2 }).toString('utf8'), 'ab', 'an odd last byte is dropped');
  t.equal(utf16TextAsUtf8(Buffer.concat([BOM_LE, Buffer.from([0x00, 0xd8]), le('x')]), { encoding: 'utf16le', start: 2 }).toString('utf8'), '\ufffdx', 'a lone surrogate');
  t.equal(utf16TextAsUtf8(BOM_LE, { encoding: 'utf16le', start: 2 }).length, 0);
});

t.test('strings at every offset and both alignments are found whole, once', async (t) => {
  const word = 'Server=db;Password=Qm7rT2vX'; // 27 characters
  for (let offset = 0; offset < 70; offset++) {
    const content = Buffer.concat([noise(offset), le(word), noise(41, offset + 2)]);
    t.same(stringsOf(t, content), [{ start: offset, text: word }], `at offset ${offset}`);
  }
});

t.test('a string of the minimum length is found; one character shorter is not', async (t) => {
  for (let offset = 0; offset < 40; offset++) {
    const exact = 'x'.repeat(UTF16_MIN_STRING_CHARS);
    t.same(stringsOf(t, Buffer.concat([noise(offset), le(exact), noise(33)])), [{ start: offset, text: exact }], `${exact.length} characters at ${offset}`);
    t.same(stringsOf(t, Buffer.concat([noise(offset), le(exact.slice(1)), noise(33)])), [], `${exact.length - 1} characters at ${offset}`);
  }
});

t.test('line ends, other characters and the content\'s end cut strings; adjacent strings stay apart', async (t) => {
  const a = 'first-string-of-text';
  const b = 'second-string-of-text';
  t.same(stringsOf(t, le(`${a}\n${b}`)), [{ start: 0, text: a }, { start: 2 * (a.length + 1), text: b }], 'a newline');
  t.same(stringsOf(t, le(`${a}é${b}`)), [{ start: 0, text: a }, { start: 2 * (a.length + 1), text: b }], 'a character outside ASCII');
  t.same(stringsOf(t, le(`${a}\t${b}`)), [{ start: 0, text: `${a}\t${b}` }], 'a tab belongs to the string');
  // An even string, then an odd one straight after it.
  const odd = Buffer.concat([le(a), Buffer.from([0xc3]), le(b)]);
  t.same(stringsOf(t, odd), [{ start: 0, text: a }, { start: 2 * a.length + 1, text: b }]);
  t.same(stringsOf(t, le(a).subarray(0, 2 * a.length - 1)), [{ start: 0, text: a.slice(0, -1) }], 'the last character lost its zero byte');
});

t.test('alignments read only what is asked for', async (t) => {
  const content = Buffer.concat([le('even-aligned-string'), noise(1), le('odd-aligned-string-here'), noise(2)]);
  t.same(stringsOf(t, content, ['even']).map((s) => s.text), ['even-aligned-string']);
  t.same(stringsOf(t, content, ['odd']).map((s) => s.text), ['odd-aligned-string-here']);
  t.same(stringsOf(t, content, []), []);
});

t.test('what the probing finds equals reading every offset, over mixed content', async (t) => {
  for (let seed = 1; seed <= 30; seed++) {
    const parts: Buffer[] = [];
    let state = seed;
    const next = (n: number) => ((state = (state * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let i = 0; i < 40; i++) {
      const kind = next(4);
      if (kind === 0) parts.push(noise(1 + next(50), seed * 100 + i));
      else if (kind === 1) parts.push(Buffer.alloc(1 + next(20)));
      else parts.push(le('abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, 1 + next(36))));
    }
    const content = Buffer.concat(parts);
    for (const alignments of [['even', 'odd'], ['even'], ['odd']] as Utf16Alignment[][]) {
      t.same(stringsOf(t, content, alignments), stringsTheSlowWay(content, alignments), `seed ${seed}, ${alignments.join('+')}`);
    }
  }
});

t.test('a large file decodes in pieces to the same text, a surrogate pair across two pieces included', async (t) => {
  const clef = '𝄞'; // two UTF-16 code units
  for (const pad of [0, 1]) {
    // The pair straddles the first megabyte boundary (the mark is not counted): code units 524287 and 524288.
    const text = `${'a'.repeat(524287 - pad)}${clef}${'b\n'.repeat(1000)}`;
    t.equal(utf16TextAsUtf8(Buffer.concat([BOM_LE, le(text)]), { encoding: 'utf16le', start: 2 }).toString('utf8'), text, `LE, shifted by ${pad}`);
    t.equal(utf16TextAsUtf8(Buffer.concat([BOM_BE, be(text)]), { encoding: 'utf16be', start: 2 }).toString('utf8'), text, `BE, shifted by ${pad}`);
  }
});
