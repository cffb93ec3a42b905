import t from 'tap';
import { builtinScanner, fakeGithubToken } from './test-helpers.js';
import { ALLOW_MARKER } from './secret-scanner.js';

const token = fakeGithubToken();

t.test('a finding has rule, place, preview and fingerprint but never the value', async (t) => {
  const content = `line one\nconst auth = "Bearer ${token}";\n`;
  const result = builtinScanner().scanFile({ path: 'src/a.ts', content, commit: 'c0ffee' });
  t.equal(result.findings.length, 1);
  const finding = result.findings[0]!;
  t.match(finding, { ruleId: 'github-pat', path: 'src/a.ts', line: 2, column: 22, commit: 'c0ffee', status: 'detected', length: 40 });
  t.equal(finding.preview, `${token.slice(0, 4)}… (40 chars)`);
  t.match(finding.fingerprint, /^hmac-sha256:[0-9a-f]{64}$/);
  t.notMatch(JSON.stringify(finding), token.slice(4, 12));
});

t.test('the same secret has the same fingerprint; another key gives another', async (t) => {
  const a = builtinScanner().scanFile({ path: 'a', content: token }).findings[0]!;
  const b = builtinScanner().scanFile({ path: 'b', content: `x ${token} y` }).findings[0]!;
  const other = builtinScanner({ fingerprintKey: 'another-fingerprint-key-9876' }).scanFile({ path: 'a', content: token }).findings[0]!;
  t.equal(a.fingerprint, b.fingerprint);
  t.not(a.fingerprint, other.fingerprint);
});

t.test('placeholders are not findings', async (t) => {
  const scanner = builtinScanner();
  for (const value of ['${GITHUB_TOKEN}', '{{ .Values.token }}', '<your-key>', 'xxxxxxxxxxxxxxxx', 'EXAMPLEKEY123456789']) {
    t.same(scanner.scanFile({ path: '.env', content: `API_KEY=${value}\n` }).findings, [], value);
  }
});

t.test('the allow marker keeps the finding, marked allowed', async (t) => {
  const content = `token = "${token}"  # ${ALLOW_MARKER} test fixture\nother = "${fakeGithubToken(2)}"\n`;
  const findings = builtinScanner().scanFile({ path: 'a.py', content }).findings;
  t.same(findings.map((f) => [f.line, f.status]), [
    [1, 'allowed'],
    [2, 'detected'],
  ]);
});

t.test('binary files are scanned with the specific rules by default, with all of them or skipped on request', async (t) => {
  // A compiled string table: a key with its own format, and an assignment only a generic rule finds.
  const assignment = 'db_password = "Qm7rT2vX9kL4pW8zN3sB"';
  const binary = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0]), Buffer.from(`${token}\0${assignment}\0`)]);
  t.same(builtinScanner().scanFile({ path: 'app.bin', content: Buffer.from(assignment) }).findings.map((f) => f.ruleId), ['secret-assignment-quoted'], 'as text, the generic rule finds the assignment');
  t.same(builtinScanner().scanFile({ path: 'app.bin', content: binary }).findings.map((f) => f.ruleId), ['github-pat'], 'default: the token, not the assignment');
  t.same(builtinScanner({ binaryFiles: 'all-rules' }).scanFile({ path: 'app.bin', content: binary }).findings.map((f) => f.ruleId), ['github-pat', 'secret-assignment-quoted']);
  t.match(builtinScanner({ binaryFiles: 'skip' }).scanFile({ path: 'app.bin', content: binary }), { skipped: 'binary', findings: [] });
  t.throws(() => builtinScanner({ binaryFiles: 'some' as never }), { code: 'SECRETS_SCANNER_OPTION' });
});

t.test('oversized files are skipped and say so', async (t) => {
  const big = `${'a'.repeat(2000)}\n${token}\n`;
  t.match(builtinScanner({ maxFileBytes: 1000 }).scanFile({ path: 'big.txt', content: big }), { skipped: 'too-large', bytes: 2042 });
});

t.test('only the given byte ranges are reported', async (t) => {
  const content = `a = "${token}"\nb = "${fakeGithubToken(3)}"\n`;
  const secondLine = content.indexOf('\n') + 1;
  const findings = builtinScanner().scanFile({ path: 'a.py', content }, [{ start: secondLine, end: content.length }]).findings;
  t.same(findings.map((f) => f.line), [2]);
});

t.test('a specific rule wins over a generic one on the same secret', async (t) => {
  const findings = builtinScanner().scanFile({ path: '.env', content: `GITHUB_API_KEY=${token}\n` }).findings;
  t.same(findings.map((f) => f.ruleId), ['github-pat']);
});

t.test('hostile input stays linear: long lines of keywords and near misses', async (t) => {
  const scanner = builtinScanner();
  const hostile = [
    'password='.repeat(50_000),
    `${'ghp_'.repeat(100_000)}`,
    `${'-----BEGIN RSA PRIVATE KEY-----\n'.repeat(5000)}`,
    `https://${'a:'.repeat(100_000)}@`,
    `${'eyJ'.repeat(100_000)}.eyJ`,
  ];
  for (const content of hostile) {
    const started = performance.now();
    scanner.scanFile({ path: '.env', content });
    const elapsed = performance.now() - started;
    // A guard against catastrophic backtracking (seconds become hours), not a speed test: bench:secrets measures speed.
    t.ok(elapsed < 20_000, `${content.slice(0, 12)}… scanned in ${elapsed.toFixed(0)} ms`);
  }
});

t.test('multi-byte text before a secret keeps line and column right', async (t) => {
  const content = `// héllo wörld ✓\nx = "${token}"\n`;
  const finding = builtinScanner().scanFile({ path: 'a.js', content }).findings[0]!;
  t.match(finding, { line: 2, column: 6 });
});

/** `count` distinct fake tokens (made at run time), one per line unless `separator` says otherwise. */
function manyTokens(count: number, line: (token: string, i: number) => string = (token) => `token = "${token}"`, separator = '\n'): string {
  return Array.from({ length: count }, (_, i) => line(fakeGithubToken(1000 + i), i)).join(separator) + '\n';
}

t.test('a file of 5,000 tokens: the first 100 findings in file order, and the result says it stopped', async (t) => {
  const content = manyTokens(5000);
  const result = builtinScanner().scanFile({ path: 'tokens.txt', content });
  t.equal(result.findings.length, 100);
  t.equal(result.truncatedFindings, true);
  t.same(result.findings.map((f) => f.line), Array.from({ length: 100 }, (_, i) => i + 1));
  t.ok(result.findings.every((f) => f.ruleId === 'github-pat' && f.status === 'detected' && f.column === 10));
  const expected = builtinScanner({ maxFindingsPerFile: Infinity }).scanFile({ path: 'tokens.txt', content });
  t.equal(expected.findings.length, 5000, 'without a limit every one is found');
  t.notOk(expected.truncatedFindings);
  t.same(result.findings, expected.findings.slice(0, 100), 'the same findings as an unlimited scan, fingerprints included');
});

t.test('the limit is an option; a file with exactly that many findings is not cut', async (t) => {
  const scanner = builtinScanner({ maxFindingsPerFile: 3 });
  const three = scanner.scanFile({ path: 'a.txt', content: manyTokens(3) });
  t.same([three.findings.length, three.truncatedFindings], [3, undefined]);
  const four = scanner.scanFile({ path: 'a.txt', content: manyTokens(4) });
  t.same([four.findings.map((f) => f.line), four.truncatedFindings], [[1, 2, 3], true]);
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    t.throws(() => builtinScanner({ maxFindingsPerFile: bad }), { name: 'SecretsError', code: 'SECRETS_SCANNER_OPTION' }, String(bad));
  }
});

t.test('the limit counts findings after overlap resolution: a specific rule still wins on every line', async (t) => {
  const content = manyTokens(50, (token) => `GITHUB_API_KEY=${token}`);
  const findings = builtinScanner({ maxFindingsPerFile: 5 }).scanFile({ path: '.env', content }).findings;
  t.same(findings.map((f) => [f.ruleId, f.line]), [1, 2, 3, 4, 5].map((line) => ['github-pat', line]));
});

t.test('allowed findings do not fill the limit: a real secret after many allowed fixtures is still found', async (t) => {
  const fixtures = manyTokens(300, (token) => `token = "${token}"  # ${ALLOW_MARKER} fixture`);
  const real = fakeGithubToken(77);
  const result = builtinScanner({ maxFindingsPerFile: 10 }).scanFile({ path: 'fixtures.py', content: `${fixtures}leak = "${real}"\n` });
  const detected = result.findings.filter((f) => f.status === 'detected');
  t.same(detected.map((f) => f.line), [301]);
  t.equal(result.findings.filter((f) => f.status === 'allowed').length, 10, 'at most the limit of allowed ones listed');
  t.equal(result.truncatedFindings, true);
});

t.test('path rules still apply to a file full of tokens', async (t) => {
  const result = builtinScanner().scanFile({ path: 'repo/.git/config', content: manyTokens(500) });
  t.same([result.findings, result.truncatedFindings], [[], undefined]);
});

t.test('thousands of tokens on one line: right columns, the allow marker read once, the merged windows lose none', async (t) => {
  const line = manyTokens(3000, (token) => token, ' ').trimEnd();
  const content = `first line\n${line} # ${ALLOW_MARKER}\n${line}\n`;
  const all = builtinScanner({ maxFindingsPerFile: Infinity }).scanFile({ path: 'a.txt', content }).findings;
  t.equal(all.length, 6000, 'every token of both 120 KiB lines, none twice');
  t.same([...new Set(all.map((f) => `${f.line}:${f.column}`))].length, 6000);
  t.same(all.slice(0, 2).map((f) => [f.line, f.column, f.status]), [[2, 1, 'allowed'], [2, 42, 'allowed']]);
  t.same(all.slice(3000, 3002).map((f) => [f.line, f.column, f.status]), [[3, 1, 'detected'], [3, 42, 'detected']]);
  const limited = builtinScanner({ maxFindingsPerFile: 20 }).scanFile({ path: 'a.txt', content });
  t.same(limited.findings.map((f) => f.status), [...Array<string>(20).fill('allowed'), ...Array<string>(20).fill('detected')]);
  t.equal(limited.truncatedFindings, true);
});
