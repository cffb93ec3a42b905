import t from 'tap';
import { scanLargeText } from './large-text-scan.js';
import { builtinScanner, fakeGithubToken } from './test-helpers.js';
import type { SecretFinding } from './finding.js';

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
