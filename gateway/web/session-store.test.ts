import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSessionBackend, SessionStore, type ApproverIdentity } from './session-store.js';

const alice: ApproverIdentity = { subject: 'alice', issuer: 'https://idp.example', groups: ['production-review'], authentication: 'oidc' };

function stores(dir: string, clock: { now: number }) {
  const options = { ttlSeconds: 3600, idleSeconds: 600, now: () => clock.now };
  return [new SessionStore({ ...options, backend: new FileSessionBackend(dir) }), new SessionStore({ ...options, backend: new FileSessionBackend(dir) })] as const;
}

t.test('file sessions survive a restart and are shared: a sign-out in one process ends it in the other', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-sessions-'));
  const clock = { now: 1_000_000 };
  const [first, second] = stores(dir, clock);
  const { id, session } = first.signIn(undefined, alice);
  t.match(second.get(id), { identity: alice, csrfToken: session.csrfToken }, 'another process (or a restarted one) knows the session');
  const files = readdirSync(dir);
  t.equal(files.length, 1);
  t.notMatch(files[0], id, 'the file is named by a hash, never the cookie value');
  t.notMatch(readFileSync(join(dir, files[0]!), 'utf8'), id);
  t.equal(statSync(join(dir, files[0]!)).mode & 0o777, 0o600);
  second.destroy(id);
  t.equal(first.get(id), undefined, 'signed out everywhere');
});

t.test('idle and absolute expiry; lastSeen written back at most every 30 s', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-sessions-'));
  const clock = { now: 1_000_000 };
  const [store] = stores(dir, clock);
  const { id } = store.signIn(undefined, alice);
  for (let i = 0; i < 10; i++) {
    clock.now += 500_000; // busy: every 8 min, under the 10 min idle limit
    if (i < 6) t.ok(store.get(id), `alive after ${(i + 1) * 500} s`);
  }
  t.equal(store.get(id), undefined, 'ended at the 1 h lifetime');
  const second = store.signIn(undefined, alice);
  clock.now += 601_000;
  t.equal(store.get(second.id), undefined, 'ended after 10 min idle');
  t.same(readdirSync(dir), [], 'ended sessions are removed');
});

t.test('anonymous sessions and pending logins stay in memory, bounded; a pending login is used once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-sessions-'));
  const store = new SessionStore({ ttlSeconds: 3600, idleSeconds: 600, maxAnonymous: 3, backend: new FileSessionBackend(dir) });
  const ids = Array.from({ length: 5 }, () => store.createAnonymous().id);
  t.same(readdirSync(dir), [], 'nothing on disk for anonymous visitors');
  t.equal(store.get(ids[0]), undefined, 'the oldest anonymous sessions went first');
  t.ok(store.get(ids[4]));
  store.setPendingOidc(ids[4]!, { state: 's', nonce: 'n', codeVerifier: 'v', next: '/ui' });
  t.match(store.takePendingOidc(ids[4]), { state: 's' });
  t.equal(store.takePendingOidc(ids[4]), undefined);
});

t.test('a session file that is not a session is ignored (not signed in)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-sessions-'));
  const [store] = stores(dir, { now: 1_000_000 });
  const { id } = store.signIn(undefined, alice);
  const file = join(dir, readdirSync(dir)[0]!);
  writeFileSync(file, '{"identity": "forged"}');
  t.equal(store.get(id), undefined);
  writeFileSync(file, 'not json');
  t.equal(store.get(id), undefined);
});
