import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOidcIssuer, type TestOidcIssuer } from '../../testdata/oidc-issuer.js';
import { authenticate } from './authenticate.js';
import { OidcVerifier } from './oidc-verifier.js';
import { TokenStore } from './token-store.js';

let issuer: TestOidcIssuer;
let verifier: OidcVerifier;
const tokens = new TokenStore(join(mkdtempSync(join(tmpdir(), 'gitgate-oidc-')), 'tokens.json'));

t.before(async () => {
  issuer = await startOidcIssuer();
  verifier = new OidcVerifier({ issuer: issuer.issuer, audience: 'gitgate', groupsClaim: 'groups', algorithms: ['RS256'], kind: 'agent', clockToleranceSeconds: 5 }, 0);
});
t.teardown(() => issuer.close());

const bearer = (token: string) => `Bearer ${token}`;

t.test('a valid JWT as Bearer or Basic password gives an oidc identity with its groups', async (t) => {
  const jwt = await issuer.sign({ sub: 'agent:code-bot', name: 'Code Bot', groups: ['agents', 'ci'] });
  t.same(await authenticate(bearer(jwt), tokens, [verifier]), {
    ok: true,
    identity: { subject: 'agent:code-bot', issuer: issuer.issuer, name: 'Code Bot', groups: ['agents', 'ci'], kind: 'agent', authentication: 'oidc' },
  });
  const basic = `Basic ${Buffer.from(`x:${jwt}`).toString('base64')}`;
  t.match(await authenticate(basic, tokens, [verifier]), { ok: true, identity: { subject: 'agent:code-bot' } });
});

t.test('expired, wrong audience, unknown issuer and forged tokens are refused with a reason', async (t) => {
  const expired = await issuer.sign({ sub: 'a' }, { expiresIn: Math.floor(Date.now() / 1000) - 600 });
  t.match(await authenticate(bearer(expired), tokens, [verifier]), { ok: false, reason: 'invalid', message: /expired/ });
  const audience = await issuer.sign({ sub: 'a' }, { audience: 'someone-else' });
  t.match(await authenticate(bearer(audience), tokens, [verifier]), { ok: false, message: /aud claim/ });
  const valid = await issuer.sign({ sub: 'a' });
  const [header, payload] = valid.split('.');
  const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'admin' })).toString('base64url')}.${valid.split('.')[2]}`;
  t.match(await authenticate(bearer(forged), tokens, [verifier]), { ok: false, message: /signature is not valid/ });
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
  t.match(await authenticate(bearer(none), tokens, [verifier]), { ok: false });
  t.match(await authenticate(bearer(valid), tokens, []), { ok: false, message: /issuer are not accepted/ });
});

t.test('key rotation: a token signed with a new key is accepted after the JWKS is fetched again', async (t) => {
  await verifier.verify(await issuer.sign({ sub: 'a' }));
  const before = issuer.jwksFetches();
  await issuer.rotate(true);
  const rotated = await issuer.sign({ sub: 'after-rotation' });
  t.match(await verifier.verify(rotated), { ok: true, identity: { subject: 'after-rotation' } });
  t.equal(issuer.jwksFetches(), before + 1);
});
