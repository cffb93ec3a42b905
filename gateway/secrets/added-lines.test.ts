import t from 'tap';
import { scanAddedLines, scanLines } from './added-lines.js';
import { builtinScanner, fakeGithubToken } from './test-helpers.js';

const oldSecret = fakeGithubToken(10);
const newSecret = fakeGithubToken(11);
const oldContent = `config:\n  token: ${oldSecret}\n  name: app\n`;

t.test('a secret already in the file is not reported when a neighbour changes', async (t) => {
  const newContent = `config:\n  token: ${oldSecret}\n  name: app2\n  region: eu\n`;
  const result = scanAddedLines(builtinScanner(), { path: 'c.yml', oldContent, newContent, commit: 'abc' });
  t.same(result.findings, []);
});

t.test('a secret on an added line is reported with its line in the new file', async (t) => {
  const newContent = `config:\n  token: ${oldSecret}\n  other: ${newSecret}\n  name: app\n`;
  const result = scanAddedLines(builtinScanner(), { path: 'c.yml', oldContent, newContent, commit: 'abc' });
  t.same(result.findings.map((f) => [f.line, f.commit]), [[3, 'abc']]);
});

t.test('a new file is scanned whole', async (t) => {
  const result = scanAddedLines(builtinScanner(), { path: 'c.yml', newContent: oldContent });
  t.same(result.findings.map((f) => f.line), [2]);
});

t.test('a private key whose lines were all added is found; an untouched one is not', async (t) => {
  const header = ['-----BEGIN', 'OPENSSH', 'PRIVATE', 'KEY-----'].join(' ');
  const footer = ['-----END', 'OPENSSH', 'PRIVATE', 'KEY-----'].join(' ');
  const body = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 251)).toString('base64').match(/.{1,70}/g)!.join('\n');
  const key = `${header}\n${body}\n${footer}\n`;
  const added = scanAddedLines(builtinScanner(), { path: 'id', oldContent: 'x\n', newContent: `x\n${key}` });
  t.same(added.findings.map((f) => [f.ruleId, f.line]), [['private-key-openssh', 2]]);
  const untouched = scanAddedLines(builtinScanner(), { path: 'id', oldContent: `x\n${key}`, newContent: `x\n${key}y\n` });
  t.same(untouched.findings, []);
});

t.test('scanLines takes 1-based line numbers from a patch', async (t) => {
  const content = `a: ${oldSecret}\nb: ${newSecret}\n`;
  t.same(scanLines(builtinScanner(), { path: 'x', content }, [2]).findings.map((f) => f.line), [2]);
  t.same(scanLines(builtinScanner(), { path: 'x', content }, []).findings, []);
});

t.test('the findings limit counts added lines only: old lines full of secrets do not hide the new one', async (t) => {
  const old = Array.from({ length: 2000 }, (_, i) => `token_${i} = "${fakeGithubToken(5000 + i)}"`).join('\n') + '\n';
  const newContent = `${old}added = "${newSecret}"\n`;
  const scanner = builtinScanner({ maxFindingsPerFile: 10 });
  const result = scanAddedLines(scanner, { path: 'x.py', oldContent: old, newContent });
  t.same(result.findings.map((f) => [f.line, f.status]), [[2001, 'detected']]);
  t.notOk(result.truncatedFindings, 'all of the added lines were read');
  t.same(scanLines(scanner, { path: 'x.py', content: newContent }, [2001]).findings.map((f) => f.line), [2001]);
  const whole = scanner.scanFile({ path: 'x.py', content: newContent });
  t.same([whole.findings.length, whole.truncatedFindings], [10, true], 'the whole file is cut at the limit');
});
