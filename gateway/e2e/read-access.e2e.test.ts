import t from 'tap';
import { join } from 'node:path';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';

const git = new GitClient();
let harness: GatewayHarness;

t.before(async () => {
  // policies.data in gitgate.yaml: demo/hello is readable by the group "readers" only.
  harness = await startHarness([], { gitgate: { config: { fetch: { restricted: [{ repositories: ['demo/*'], groups: ['readers'] }] } } } });
});
t.teardown(() => harness.close());

t.test('the fetch policy refuses reads, also through the receive-pack advertisement', async (t) => {
  const clone = await git.run(['clone', harness.remote('demo/hello'), 'x'], harness.root);
  t.not(clone.code, 0);
  t.match(clone.stderr, /remote: gitgate refused this fetch:\s+remote: READ_NOT_ALLOWED: agent-1 may not read demo\/hello: it is restricted to group readers/);

  const { token } = harness.gateway.tokens.create('reader-1', ['readers']);
  const allowed = await git.run(['clone', '-q', harness.remote('demo/hello', token), 'y'], harness.root);
  t.equal(allowed.code, 0, allowed.stderr);

  const push = await git.run(['push', harness.remote('demo/hello'), 'HEAD:refs/heads/x'], join(harness.root, 'y'));
  t.not(push.code, 0);
  t.match(push.stderr, /remote: gitgate refused this fetch:\s+remote: READ_NOT_ALLOWED/);
});
