import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSecretSource } from './secret-source.js';
import { readCredentialSecret } from './load-config.js';
import { StaticTokenCredential } from '../github-api/upstream-credential.js';
import { loadRuleSet, SecretMasker, SecretScanner } from '../secrets/index.js';

const reasonOf = (reason: string) => new Error(`unavailable: ${reason}`);
const dir = mkdtempSync(join(tmpdir(), 'gitgate-secret-source-'));
const VARIABLE = 'GITGATE_TEST_SECRET_SOURCE';
t.teardown(() => delete process.env[VARIABLE]);

t.test('a variable is read as set; a file is read trimmed', async (t) => {
  process.env[VARIABLE] = ' value with blanks ';
  t.equal(readSecretSource({ kind: 'env', name: VARIABLE }, reasonOf), ' value with blanks ');
  writeFileSync(join(dir, 'secret'), 'file-value\n');
  t.equal(readSecretSource({ kind: 'file', path: join(dir, 'secret') }, reasonOf), 'file-value');
  writeFileSync(join(dir, 'empty'), '\n');
  t.equal(readSecretSource({ kind: 'file', path: join(dir, 'empty') }, reasonOf), '', 'an empty file is for the caller to judge');
});

t.test('an unset or empty variable is "unset"; an unreadable file gives its error code', async (t) => {
  delete process.env[VARIABLE];
  t.throws(() => readSecretSource({ kind: 'env', name: VARIABLE }, reasonOf), { message: 'unavailable: unset' });
  process.env[VARIABLE] = '';
  t.throws(() => readSecretSource({ kind: 'env', name: VARIABLE }, reasonOf), { message: 'unavailable: unset' });
  t.throws(() => readSecretSource({ kind: 'file', path: join(dir, 'missing') }, reasonOf), { message: 'unavailable: ENOENT' });
});

t.test("each reader's own message: the upstream credential and the GitHub token", async (t) => {
  delete process.env[VARIABLE];
  t.throws(() => readCredentialSecret({ username: 'u', source: { kind: 'env', name: VARIABLE } }), {
    code: 'CONFIG_CREDENTIAL_UNAVAILABLE',
    message: `the upstream credential variable ${VARIABLE} is not set`,
  });
  t.throws(() => readCredentialSecret({ username: 'u', source: { kind: 'file', path: join(dir, 'missing') } }), {
    code: 'CONFIG_CREDENTIAL_UNAVAILABLE',
    message: `cannot read the upstream credential file ${join(dir, 'missing')}: ENOENT`,
  });
  const masker = new SecretMasker(new SecretScanner(loadRuleSet(), { fingerprintKey: 'k'.repeat(32) }));
  process.env[VARIABLE] = '   ';
  // (authorization() throws as it is called, as it did before the readers were shared)
  t.throws(() => new StaticTokenCredential({ kind: 'env', name: VARIABLE }, masker).authorization(), {
    code: 'API_CREDENTIAL_UNAVAILABLE',
    message: `gitgate's GitHub token is not available: the variable ${VARIABLE} is not set. Tell the gitgate operators.`,
  });
  process.env[VARIABLE] = ' github-token-value \n';
  t.equal(await new StaticTokenCredential({ kind: 'env', name: VARIABLE }, masker).authorization(), 'Bearer github-token-value', 'used trimmed');
  t.throws(() => new StaticTokenCredential({ kind: 'file', path: join(dir, 'missing') }, masker).authorization(), {
    code: 'API_CREDENTIAL_UNAVAILABLE',
    message: `gitgate's GitHub token is not available: cannot read ${join(dir, 'missing')} (ENOENT). Tell the gitgate operators.`,
  });
});
