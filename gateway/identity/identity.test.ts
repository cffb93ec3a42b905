import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenStore } from './token-store.js';
import { authenticate, presentedToken } from './authenticate.js';

function store(): TokenStore {
  return new TokenStore(join(mkdtempSync(join(tmpdir(), 'gitgate-tokens-')), 'tokens.json'));
}

t.test('a created token verifies; the file holds only its hash', async (t) => {
  const tokens = store();
  const { token, record } = tokens.create('agent-1', ['agents']);
  t.match(token, /^ggt_[a-z0-9]{8}_/);
  const text = readFileSync(tokens.path, 'utf8');
  t.notMatch(text, token.split('_')[2]!);
  t.match(text, record.hash);
  t.equal(new TokenStore(tokens.path).verify(token)?.subject, 'agent-1');
  t.equal(tokens.verify(`${token}x`), undefined);
  t.equal(tokens.verify('ggt_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), undefined);
  t.equal(tokens.verify('nonsense'), undefined);
});

t.test('tokens as Basic password or Bearer; missing, malformed and invalid are told apart', async (t) => {
  const tokens = store();
  const { token } = tokens.create('agent-2', ['agents', 'ci']);
  const basic = `Basic ${Buffer.from(`whoever:${token}`).toString('base64')}`;
  t.same(await authenticate(basic, tokens), {
    ok: true,
    identity: { subject: 'agent-2', issuer: 'gitgate:static-tokens', groups: ['agents', 'ci'], kind: 'agent', authentication: 'token' },
  });
  t.match(await authenticate(`Bearer ${token}`, tokens), { ok: true });
  t.match(await authenticate(undefined, tokens), { ok: false, reason: 'missing' });
  t.match(await authenticate('Digest abc', tokens), { ok: false, reason: 'malformed' });
  t.match(await authenticate(`Basic ${Buffer.from('user:').toString('base64')}`, tokens), { ok: false, reason: 'malformed' });
  t.match(await authenticate('Bearer ggt_12345678_wrongwrongwrongwrongwrongwrongwrong', tokens), { ok: false, reason: 'invalid' });
  t.equal(presentedToken('Bearer '), null);
});

t.test('bad subjects and a corrupt file are refused with codes', async (t) => {
  t.throws(() => store().create('bad subject', []), { code: 'TOKEN_SUBJECT_INVALID' });
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-tokens-'));
  const path = join(dir, 'tokens.json');
  (await import('node:fs')).writeFileSync(path, '{"version": 2}');
  t.throws(() => new TokenStore(path), { code: 'TOKENS_FILE_INVALID' });
});

t.test('a token created by another process is accepted without a restart', async (t) => {
  const serving = store();
  const { token } = new TokenStore(serving.path).create('agent-3', ['agents']);
  t.equal(serving.verify(token)?.subject, 'agent-3');
});
