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

t.test('binary and oversized files are skipped and say so', async (t) => {
  const binary = Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(token)]);
  t.match(builtinScanner().scanFile({ path: 'a.bin', content: binary }), { skipped: 'binary', findings: [] });
  t.equal(builtinScanner({ scanBinary: true }).scanFile({ path: 'a.bin', content: binary }).findings.length, 1);
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
