import t from 'tap';
import { scanLargeText } from './large-text-scan.js';
import { builtinScanner, fakeGithubToken } from './test-helpers.js';
import type { SecretFinding } from './finding.js';
import { secretSampleGenerators } from '../../testdata/secrets/secret-samples.js';
import { SeededTextRandom } from '../../testdata/secrets/seeded-text-random.js';

// A small size limit makes slices of 2 KiB (with 1 KiB of context each side): the cases below
// put secrets at, across and after slice boundaries without megabytes of text.
const LIMIT = 4096;
const sliced = builtinScanner({ maxFileBytes: LIMIT });
const whole = builtinScanner({ maxFileBytes: 1 << 30 });

const filler = (lines: number, tag: string) => Array.from({ length: lines }, (_, i) => `const ${tag}${i} = compute(${i}); // ordinary line\n`).join('');
const where = (findings: SecretFinding[]) => findings.map((f) => `${f.ruleId}@${f.line}:${f.column}`);
const noPause = async () => {};

/** A text of `lines` filler lines with a token line after each index in `tokenAfter`. */
function textWithTokens(lines: number, tokenAfter: number[], seed = 1): string {
  let out = '';
  for (let i = 0; i < lines; i++) {
    out += `const line${i} = compute(${i}); // ordinary line\n`;
    if (tokenAfter.includes(i)) out += `token_${i} = "${fakeGithubToken(seed + i)}"\n`;
  }
  return out;
}

t.test('a text over the size limit is scanned in slices and finds what one whole scan finds, where it finds it', async (t) => {
  const text = textWithTokens(600, [3, 40, 57, 58, 200, 599]);
  t.ok(text.length > 6 * LIMIT, `${text.length} bytes, several slices`);
  t.match(sliced.scanFile({ path: 'big.txt', content: text }), { skipped: 'too-large' }, 'scanFile alone skips it');
  const expected = whole.scanFile({ path: 'big.txt', content: text }).findings;
  t.equal(expected.length, 6);
  let pauses = 0;
  const result = await scanLargeText(sliced, { path: 'big.txt', newContent: text }, async () => void pauses++);
  t.same(where(result.findings), where(expected), 'same rules, lines and columns');
  t.same(result.findings.map((f) => f.fingerprint), expected.map((f) => f.fingerprint));
  t.equal(result.skipped, undefined);
  t.ok(pauses >= 8, `the caller got a turn between slices (${pauses})`);
});

t.test('every offset of a secret against the slice boundaries: found once, never twice', async (t) => {
  const token = fakeGithubToken(7);
  for (let shift = 0; shift < 120; shift += 7) {
    // Slices are 2048 bytes: the token starts around the first boundary, before, across and after it.
    const head = 'x'.repeat(2048 - 60 + shift - 1) + '\n';
    const text = `${head}key = "${token}"\n${filler(200, 'tail')}`;
    const result = await scanLargeText(sliced, { path: 'edge.txt', newContent: text }, noPause);
    const expected = whole.scanFile({ path: 'edge.txt', content: text }).findings;
    t.same(where(result.findings), where(expected), `token ${shift - 60} bytes from the boundary`);
  }
});

t.test('a very long line (no newline to cut at) is scanned across slices', async (t) => {
  const token = fakeGithubToken(3);
  const line = `${'a,'.repeat(3000)}token="${token}",${'b,'.repeat(3000)}token2="${fakeGithubToken(4)}"\n`;
  const result = await scanLargeText(sliced, { path: 'min.js', newContent: line }, noPause);
  const expected = whole.scanFile({ path: 'min.js', content: line }).findings;
  t.equal(expected.length, 2);
  t.same(where(result.findings), where(expected));
});

t.test('NUL bytes after the start of a text do not make a later slice skip as binary', async (t) => {
  const text = `${filler(250, 'a')}\u0000\u0000${filler(100, 'b')}secret = "${fakeGithubToken(9)}"\n`;
  t.ok(text.indexOf('\u0000') > 8000, 'git calls the file text: no NUL in its first 8000 bytes');
  const result = await scanLargeText(sliced, { path: 'mixed.txt', newContent: text }, noPause);
  t.equal(result.findings.length, 1);
});

/** Bytes that look like a compiled program: a NUL early, newline bytes here and there. */
function binaryWith(strings: string[], bytes: number, seed = 7): Buffer {
  const out = Buffer.alloc(bytes);
  let state = seed;
  for (let i = 0; i < bytes; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  out[3] = 0;
  // Each string in its own run of printable bytes, as a string table has them.
  strings.forEach((text, i) => out.write(`\0${text}\0`, Math.floor(((i + 1) * bytes) / (strings.length + 1)), 'latin1'));
  return out;
}

t.test('binary files, small or over the size limit, are scanned with the specific rules; old secrets are not reported again', async (t) => {
  const assignment = 'db_password = "Qm7rT2vX9kL4pW8zN3sB"';
  const [first, second] = [fakeGithubToken(71), fakeGithubToken(72)];
  for (const size of [LIMIT / 2, 6 * LIMIT]) {
    const oldBinary = binaryWith([first, assignment], size);
    const result = await scanLargeText(sliced, { path: 'tool.bin', newContent: oldBinary }, noPause);
    t.same(result.findings.map((f) => f.ruleId), ['github-pat'], `${size} bytes: the token, not the generic assignment`);
    const newBinary = binaryWith([first, assignment, second], size, 8);
    const changed = await scanLargeText(sliced, { path: 'tool.bin', oldContent: oldBinary, newContent: newBinary }, noPause);
    t.same(changed.findings.map((f) => f.preview), [`${second.slice(0, 4)}… (40 chars)`], `${size} bytes: only the token the new version adds`);
    const skipping = builtinScanner({ maxFileBytes: LIMIT, binaryFiles: 'skip' });
    t.match(await scanLargeText(skipping, { path: 'tool.bin', newContent: newBinary }, noPause), { skipped: 'binary', findings: [] });
  }
});

t.test('with an old version: secrets on lines the old text already has are not reported again', async (t) => {
  const oldText = textWithTokens(400, [10, 300]);
  const newText = `${oldText}${filler(50, 'more')}fresh = "${fakeGithubToken(500)}"\n`;
  const result = await scanLargeText(sliced, { path: 'big.txt', oldContent: oldText, newContent: newText }, noPause);
  t.same(result.findings.map((f) => f.line), [newText.split('\n').findIndex((l) => l.startsWith('fresh')) + 1], 'only the added one');

  // A second copy of an existing secret line is added: it is reported (on both copies, which
  // cannot be told apart by counting).
  const copied = `${oldText}${oldText.split('\n')[11]}\n`;
  const again = await scanLargeText(sliced, { path: 'big.txt', oldContent: oldText, newContent: copied }, noPause);
  t.equal(again.findings.length, 2, 'a newly repeated line counts as added');

  const unchanged = await scanLargeText(sliced, { path: 'big.txt', oldContent: oldText, newContent: `${oldText}${filler(3, 'x')}` }, noPause);
  t.same(unchanged.findings, [], 'other lines changed: nothing reported');
});

t.test('the file reports at most findingsPerFileLimit findings and says it stopped', async (t) => {
  const scanner = builtinScanner({ maxFileBytes: LIMIT, maxFindingsPerFile: 5 });
  const text = textWithTokens(400, Array.from({ length: 40 }, (_, i) => i * 10));
  const result = await scanLargeText(scanner, { path: 'many.txt', newContent: text }, noPause);
  t.equal(result.findings.length, 5);
  t.equal(result.truncatedFindings, true);
  const expected = whole.scanFile({ path: 'many.txt', content: text }).findings.slice(0, 5);
  t.same(where(result.findings), where(expected), 'the first ones in file order');
});

t.test('a file within the limit is scanned as scanAddedLines does', async (t) => {
  const text = textWithTokens(20, [5]);
  const result = await scanLargeText(sliced, { path: 'small.txt', newContent: text }, async () => void t.fail('no slices, no pauses'));
  t.equal(result.findings.length, 1);
});

t.test('counting a large file\'s lines against its old version gives the caller turns too', async (t) => {
  const scanner = builtinScanner({ maxFileBytes: 256 * 1024 });
  const oldText = `${'x = 1;\n'.repeat(150_000)}`;
  const newText = `${oldText}key = "${fakeGithubToken(31)}"\n`;
  let pauses = 0;
  const result = await scanLargeText(scanner, { path: 'big.txt', oldContent: oldText, newContent: newText }, async () => void pauses++);
  t.same(result.findings.map((f) => f.line), [150_001]);
  const slices = Math.ceil(newText.length / (256 * 1024 - 2 * 64 * 1024));
  const countingTurns = Math.floor(150_001 / (64 * 1024)) + Math.floor(150_000 / (64 * 1024));
  t.equal(pauses, slices + countingTurns, `${slices} slices, then a turn every 65,536 lines of each version`);
});

const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
const utf16be = (text: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);

/** A .reg export as Windows writes it: UTF-16LE with a byte order mark, CRLF line ends. */
function registryExport(values: Record<string, string>): string {
  const lines = ['Windows Registry Editor Version 5.00', '', '[HKEY_CURRENT_USER\\Software\\Example\\Deploy]'];
  for (const [name, value] of Object.entries(values)) lines.push(`"${name}"="${value}"`);
  return `${lines.join('\r\n')}\r\n`;
}

t.test('a UTF-16 text file is scanned as the text it is, with every rule, whatever binaryFiles says', async (t) => {
  const token = fakeGithubToken(81);
  const text = registryExport({ Owner: 'Zoë', GithubToken: token, db_password: 'Qm7rT2vX9kL4pW8zN3sB' });
  const expected = whole.scanFile({ path: 'deploy.txt', content: text }).findings;
  t.same(expected.map((f) => `${f.ruleId}@${f.line}`), ['github-pat@5', 'secret-assignment-quoted@6'], 'the same text in UTF-8: a token and a generic assignment');
  const unmarked = (bytes: Buffer) => bytes.subarray(2); // as .NET's Encoding.Unicode.GetBytes writes it
  for (const [name, bytes] of [
    ['UTF-16LE', utf16le(text)],
    ['UTF-16BE', utf16be(text)],
    ['UTF-16LE without a mark', unmarked(utf16le(text))],
    ['UTF-16BE without a mark', unmarked(utf16be(text))],
  ] as const) {
    for (const scanner of [sliced, builtinScanner({ maxFileBytes: LIMIT, binaryFiles: 'skip' })]) {
      const result = await scanLargeText(scanner, { path: 'deploy.reg', newContent: bytes }, noPause);
      t.same(result.findings.map((f) => `${f.ruleId}@${f.line}`), expected.map((f) => `${f.ruleId}@${f.line}`), `${name}: the same findings on the same lines`);
      t.same(result.findings.map((f) => f.fingerprint), expected.map((f) => f.fingerprint), `${name}: the same secrets`);
      t.equal(result.bytes, bytes.length);
      t.equal(result.skipped, undefined);
    }
  }
});

t.test('a UTF-16 text file against its old version: only what the new one adds, also across a change of encoding', async (t) => {
  const [kept, added] = [fakeGithubToken(82), fakeGithubToken(83)];
  const before = registryExport({ Kept: kept });
  const after = registryExport({ Kept: kept, Added: added });
  const addedPreview = [`${added.slice(0, 4)}… (40 chars)`];
  for (const [name, oldContent] of [['UTF-16LE', utf16le(before)], ['UTF-16BE', utf16be(before)], ['UTF-8', Buffer.from(before)]] as const) {
    const result = await scanLargeText(sliced, { path: 'deploy.reg', oldContent, newContent: utf16le(after) }, noPause);
    t.same(result.findings.map((f) => f.preview), addedPreview, `old version in ${name}`);
  }
  const big = `${filler(300, 'pad')}${after}`;
  const large = await scanLargeText(sliced, { path: 'deploy.reg', oldContent: utf16le(`${filler(300, 'pad')}${before}`), newContent: utf16le(big) }, noPause);
  t.ok(big.length > LIMIT, 'over the size limit: sliced, lines counted');
  t.same(large.findings.map((f) => f.preview), addedPreview);
});

t.test('a byte order mark does not hide the bytes after it', async (t) => {
  const token = fakeGithubToken(84);
  const disguised = Buffer.concat([Buffer.from([0xff, 0xfe]), binaryWith([token], 3000)]);
  const result = await scanLargeText(sliced, { path: 'data.bin', newContent: disguised }, noPause);
  t.same(result.findings.map((f) => f.ruleId), ['github-pat']);
});

/** Bytes that look like a compiled program with UTF-16LE string literals, as .NET assemblies keep them. */
function binaryWithUtf16(strings: { text: string; at: number }[], bytes: number): Buffer {
  const out = binaryWith([], bytes);
  for (const { text, at } of strings) {
    out[at - 1] = 0x80; // not a character: the string starts where it is put
    out.write(text, at, 'utf16le');
    out[at + 2 * text.length] = 0x80;
  }
  return out;
}

t.test('UTF-16LE strings inside a binary are scanned, at either alignment, and placed in the binary', async (t) => {
  const [even, odd] = [fakeGithubToken(85), fakeGithubToken(86)];
  for (const size of [LIMIT / 2, 6 * LIMIT]) {
    const content = binaryWithUtf16([{ text: `token=${even}`, at: 100 }, { text: odd, at: size - 200 + 1 }], size);
    const result = await scanLargeText(sliced, { path: 'App.dll', newContent: content }, noPause);
    t.same(result.findings.map((f) => f.preview), [`${even.slice(0, 4)}… (40 chars)`, `${odd.slice(0, 4)}… (40 chars)`], `${size} bytes`);
    const ascii = whole.scanFile({ path: 'a.txt', content: `${even}\n${odd}\n` }).findings;
    t.same(result.findings.map((f) => f.fingerprint), ascii.map((f) => f.fingerprint), 'the same fingerprint as the token in ASCII');
    for (const [i, at] of [100 + 2 * 'token='.length, size - 200 + 1].entries()) {
      const before = content.subarray(0, at);
      const lineStart = before.lastIndexOf(10) + 1;
      t.same([result.findings[i]!.line, result.findings[i]!.column], [before.filter((b) => b === 10).length + 1, at - lineStart + 1], 'line and column of its first byte');
    }

    const rebuilt = binaryWithUtf16([{ text: `token=${even}`, at: 300 }, { text: odd, at: size - 400 }], size);
    const again = await scanLargeText(sliced, { path: 'App.dll', oldContent: content, newContent: rebuilt }, noPause);
    t.same(again.findings, [], 'moved in a rebuild: not reported again');
    const skipping = builtinScanner({ maxFileBytes: LIMIT, binaryFiles: 'skip' });
    t.match(await scanLargeText(skipping, { path: 'App.dll', newContent: content }, noPause), { skipped: 'binary', findings: [] }, 'binaryFiles: skip');
  }
});

t.test('a private key in UTF-16 lines inside a binary is found whole, and not again when it stays', async (t) => {
  const generator = secretSampleGenerators.find((g) => g.ruleId === 'private-key-pem')!;
  const { secret } = generator.truePositive(new SeededTextRandom(87));
  const lines = secret.split('\n');
  const content = binaryWith([], 8 * LIMIT);
  let at = 1001;
  for (const line of lines) {
    content[at - 1] = 0x80;
    content.write(`${line}\r\n`, at, 'utf16le');
    at += 2 * (line.length + 2);
  }
  const result = await scanLargeText(sliced, { path: 'Keys.dll', newContent: content }, noPause);
  t.same(result.findings.map((f) => f.ruleId), ['private-key-pem']);
  t.equal(result.findings[0]!.fingerprint, whole.scanFile({ path: 'id_key', content: `${secret}\n` }).findings[0]!.fingerprint, 'the same key as in ASCII');
  const moved = Buffer.concat([binaryWith([], 500, 9), content]);
  t.same((await scanLargeText(sliced, { path: 'Keys.dll', oldContent: content, newContent: moved }, noPause)).findings, [], 'moved: not reported again');
  // The old version holds the same key but for its last line of base64: a different key.
  const lastLine = lines.at(-2)!;
  const replaced = Buffer.from(`${lastLine.slice(0, -2)}${lastLine.endsWith('AA') ? 'BB' : 'AA'}`, 'utf16le');
  const older = Buffer.from(content);
  replaced.copy(older, older.indexOf(Buffer.from(lastLine, 'utf16le')));
  t.same((await scanLargeText(sliced, { path: 'Keys.dll', oldContent: older, newContent: content }, noPause)).findings.map((f) => f.ruleId), ['private-key-pem'], 'a key that differs in its last line is new');
});
