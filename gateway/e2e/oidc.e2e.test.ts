import t from 'tap';
import { join } from 'node:path';
import { startOidcIssuer, type TestOidcIssuer } from '../../testdata/oidc-issuer.js';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';

const git = new GitClient();
let issuer: TestOidcIssuer;
let harness: GatewayHarness;

t.before(async () => {
  issuer = await startOidcIssuer();
  harness = await startHarness([], undefined, { identity: { oidc: [{ issuer: issuer.issuer, audience: 'gitgate', groups_claim: 'groups', algorithms: ['RS256'] }] } });
});
t.teardown(async () => {
  await harness.close();
  await issuer.close();
});

t.test('git clones and pushes with an OIDC JWT as its password; an expired one gets 401', async (t) => {
  const jwt = await issuer.sign({ sub: 'agent:oidc-bot', groups: ['agents'] });
  const clone = await git.run(['clone', '-q', harness.remote('demo/hello', jwt), 'oidc'], harness.root);
  t.equal(clone.code, 0, clone.stderr);
  const push = await git.run(['push', 'origin', 'HEAD:refs/heads/feature/oidc'], join(harness.root, 'oidc'));
  t.equal(push.code, 0, push.stderr);
  t.match(harness.logs(), /"subject":"agent:oidc-bot"/);
  t.notMatch(harness.logs(), jwt.split('.')[2]!, 'the JWT is not logged');

  const expired = await issuer.sign({ sub: 'agent:oidc-bot' }, { expiresIn: Math.floor(Date.now() / 1000) - 600 });
  const refused = await git.run(['ls-remote', harness.remote('demo/hello', expired)], harness.root);
  t.not(refused.code, 0);
  t.match(refused.stderr, /remote: gitgate: the token has expired; get a new one/);
});
