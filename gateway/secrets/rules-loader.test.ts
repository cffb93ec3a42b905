import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRuleSet } from './compiled-rules.js';
import { isSecretsError } from './errors.js';
import { loadRuleSet, parseRulesDocument } from './rules-loader.js';

const rule = {
  id: 'acme-token',
  description: 'ACME token',
  category: 'provider',
  severity: 'high',
  keywords: ['acme_'],
  regex: '\\b(acme_[a-z0-9]{20})\\b',
};

function documentWith(rules: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ version: 1, rules, ...extra });
}

t.test('schema errors name the rule and the bad key', async (t) => {
  try {
    parseRulesDocument(documentWith([{ ...rule, severity: 'urgent', colour: 'red' }]), 'team.json');
    t.fail('should throw');
  } catch (error) {
    t.ok(isSecretsError(error, 'SECRETS_RULES_SCHEMA'));
    t.match((error as Error).message, /team\.json/);
    t.match((error as Error).message, /rule 'acme-token'/);
    t.match((error as Error).message, /colour/);
    t.match((error as Error).message, /severity/);
  }
});

t.test('invalid JSON and missing files have their own codes', async (t) => {
  t.throws(() => parseRulesDocument('{', 'x.json'), { code: 'SECRETS_RULES_INVALID_JSON' });
  t.throws(() => loadRuleSet('/nonexistent/rules.json'), { code: 'SECRETS_RULES_NOT_FOUND' });
});

t.test('patterns RE2 cannot run are refused with the rule id', async (t) => {
  const document = parseRulesDocument(documentWith([{ ...rule, regex: '(a+)\\1' }]), 'x');
  t.throws(() => compileRuleSet(document), { code: 'SECRETS_RULE_BAD_PATTERN', message: /acme-token/ });
  const lookahead = parseRulesDocument(documentWith([{ ...rule, regex: '(?=acme_)acme_' }]), 'x');
  t.throws(() => compileRuleSet(lookahead), { code: 'SECRETS_RULE_BAD_PATTERN' });
});

t.test('duplicate ids and missing groups are refused', async (t) => {
  t.throws(() => compileRuleSet(parseRulesDocument(documentWith([rule, rule]), 'x')), { code: 'SECRETS_RULE_DUPLICATE_ID' });
  t.throws(() => compileRuleSet(parseRulesDocument(documentWith([{ ...rule, secretGroup: 3 }]), 'x')), { code: 'SECRETS_RULE_BAD_GROUP' });
  t.throws(() => compileRuleSet(parseRulesDocument(documentWith([{ ...rule, secretGroup: 'nope' }]), 'x')), { code: 'SECRETS_RULE_BAD_GROUP' });
});

t.test('a team file extends the built-in set: adds, replaces and disables rules', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-rules-'));
  const file = join(dir, 'rules.json');
  writeFileSync(file, documentWith([rule], { extends: 'builtin', disable: ['jwt', 'slack-webhook-url'] }));
  const ruleSet = loadRuleSet(file);
  const ids = ruleSet.rules.map((r) => r.id);
  t.ok(ids.includes('acme-token'));
  t.ok(ids.includes('github-pat'));
  t.notOk(ids.includes('jwt'));
  t.notOk(ids.includes('slack-webhook-url'));
  const standalone = join(dir, 'only.json');
  writeFileSync(standalone, documentWith([rule]));
  t.same(loadRuleSet(standalone).rules.map((r) => r.id), ['acme-token']);
});
