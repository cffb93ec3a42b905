import t from 'tap';
import { ALNUM, SeededTextRandom } from '../../testdata/secrets/seeded-text-random.js';
import { loadRuleSet } from './rules-loader.js';
import { builtinScanner, fakeGithubToken } from './test-helpers.js';
import { findXmlCredentials } from './xml-credentials.js';

const rule = loadRuleSet().rules.find((r) => r.id === 'xml-credential')!;
const random = new SeededTextRandom(41);
const value = () => random.chars(ALNUM, 16);

/** The candidate values with where they were found. */
function located(xml: string): { text: string; start: number }[] {
  const content = Buffer.from(xml);
  return findXmlCredentials(content, rule).map((s) => ({ text: content.toString('utf8', s.start, s.end), start: s.start }));
}

t.test('values are found where they are, in document order, even when the pair value comes first', async (t) => {
  const elements = Array.from({ length: 2000 }, () => ({ pair: value(), secret: value() }));
  const xml = `<r>\n${elements.map((e) => `<add key="password" value="${e.pair}" secret="${e.secret}"/>`).join('\n')}\n</r>`;
  const found = located(xml);
  t.equal(found.length, 4000);
  t.same(
    found.map((f) => [f.text, f.start]),
    elements.flatMap((e) => [
      [e.pair, xml.indexOf(`value="${e.pair}"`) + 7],
      [e.secret, xml.indexOf(`secret="${e.secret}"`) + 8],
    ]),
  );
});

t.test('text split by a comment, CDATA or a child element: each piece is found at its place', async (t) => {
  const [a, b, c, d] = [value(), value(), value(), value()];
  const xml = `<s><password>${a}<!-- rotated monthly -->${b}</password><pwd><![CDATA[${c}]]><x/>${d}</pwd></s>`;
  t.same(
    located(xml).map((f) => [f.text, f.start]),
    [a, b, c, d].map((v) => [v, xml.indexOf(v)]),
  );
});

t.test('a multi-line value of a CRLF file is found, although the parser reads its line ends as LF', async (t) => {
  const [a, b] = [value(), value()];
  const xml = `<r>\r\n<password>${a}\r\n${b}</password>\r\n</r>\r\n`;
  t.same(located(xml).map((f) => [f.text, f.start]), [[`${a}\r\n${b}`, xml.indexOf(a)]]);
});

t.test('values not in the file verbatim cost a bounded search, and do not hide the values after them', async (t) => {
  // The parser reads a lone CR as LF: such a value is nowhere in the file.
  const elements = Array.from({ length: 20_000 }, () => ({ lost: `${random.chars(ALNUM, 8)}\r${random.chars(ALNUM, 8)}`, kept: value() }));
  const xml = `<r>${elements.map((e) => `<password>${e.lost}</password><pwd>${e.kept}</pwd>`).join('\n')}</r>`;
  const started = performance.now();
  const found = located(xml);
  const elapsed = performance.now() - started;
  t.same(
    found.map((f) => f.text),
    elements.map((e) => e.kept),
  );
  // A guard against one search of the whole file per value (seconds become minutes), not a speed test.
  t.ok(elapsed < 20_000, `${(xml.length / 1024).toFixed(0)} KiB located in ${elapsed.toFixed(0)} ms`);
});

t.test('with the findings limit, a value before its key is still read in file order', async (t) => {
  // The key's keyword comes after the tokens: the XML candidates must not arrive after them.
  const tokens = Array.from({ length: 12 }, (_, i) => `  token=${fakeGithubToken(300 + i)}`).join('\n');
  const password = value();
  const xml = `<r>\n<add value="${password}" note="\n${tokens}\n" key="password"/>\n</r>\n`;
  for (const maxFindingsPerFile of [100, Infinity]) {
    const findings = builtinScanner({ maxFindingsPerFile }).scanFile({ path: 'app.config', content: xml }).findings;
    t.same(
      findings.map((f) => [f.ruleId, f.line]),
      [['xml-credential', 2], ...Array.from({ length: 12 }, (_, i) => ['github-pat', 3 + i])],
      String(maxFindingsPerFile),
    );
  }
});
