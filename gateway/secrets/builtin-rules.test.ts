import t from 'tap';
import { builtinRulesDocument, loadRuleSet } from './rules-loader.js';
import { SecretScanner } from './secret-scanner.js';
import { FingerprintKey } from './finding.js';
import { secretSampleGenerators, webConfigSample } from '../../testdata/secrets/secret-samples.js';
import { SeededTextRandom } from '../../testdata/secrets/seeded-text-random.js';

const KEY = 'test-fingerprint-key-0123456789';
const scanner = new SecretScanner(loadRuleSet(), { fingerprintKey: KEY });
const fingerprints = new FingerprintKey(KEY);
const generators = new Map(secretSampleGenerators.map((g) => [g.ruleId, g]));

t.test('the built-in set has at least 80 provider rules and every rule has samples', async (t) => {
  const rules = builtinRulesDocument().rules;
  t.ok(rules.filter((r) => r.category === 'provider').length >= 80);
  const missing = rules.map((r) => r.id).filter((id) => !generators.has(id));
  t.same(missing, [], 'rules without a sample generator');
  const unknown = [...generators.keys()].filter((id) => !rules.some((r) => r.id === id));
  t.same(unknown, [], 'generators without a rule');
});

for (const rule of builtinRulesDocument().rules) {
  t.test(`rule ${rule.id}`, async (t) => {
    const generator = generators.get(rule.id);
    if (!generator) return t.fail('no sample generator');
    for (let seed = 1; seed <= 5; seed++) {
      const random = new SeededTextRandom(seed * 7919 + rule.id.length);
      const planted = generator.truePositive(random);
      const result = scanner.scanFile({ path: planted.path, content: planted.text });
      const finding = result.findings.find((f) => f.ruleId === rule.id);
      if (!finding) {
        t.fail(`true positive not found (seed ${seed}); found: ${result.findings.map((f) => f.ruleId).join(', ') || 'nothing'}`);
        continue;
      }
      t.equal(finding.fingerprint, fingerprints.fingerprint(planted.secret), `captures exactly the secret (seed ${seed})`);
      t.equal(result.findings.length, 1, `one finding (seed ${seed})`);
      t.notMatch(JSON.stringify(finding), planted.secret.slice(4), 'the finding holds no secret');
      for (const negative of generator.falsePositives(random)) {
        // A near miss may still look like a password to a generic rule; no specific rule may fire.
        const found = scanner
          .scanFile({ path: negative.path, content: negative.text })
          .findings.filter((f) => f.ruleId === rule.id || f.category !== 'generic');
        t.same(found.map((f) => f.ruleId), [], `false positive stays quiet (seed ${seed}): ${negative.text.slice(0, 40).trim()}…`);
      }
    }
  });
}

t.test('xml-credential reads web.config key/value pairs', async (t) => {
  const planted = webConfigSample(new SeededTextRandom(5));
  const findings = scanner.scanFile({ path: planted.path, content: planted.text }).findings;
  t.same(findings.map((f) => [f.ruleId, f.line]), [['xml-credential', 3]]);
  t.equal(findings[0]?.fingerprint, fingerprints.fingerprint(planted.secret));
});
