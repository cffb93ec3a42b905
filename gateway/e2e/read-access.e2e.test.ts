import t from 'tap';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';

const git = new GitClient();
let harness: GatewayHarness;
/** An http upstream that never answers: it keeps each request it gets, until the gateway closes it. */
let silent: { server: Server; host: string; requests: IncomingMessage[] };

t.before(async () => {
  const requests: IncomingMessage[] = [];
  const server = createServer((request) => requests.push(request));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  silent = { server, host: `127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
  // policies.data in gitgate.yaml: demo/hello and silent/* are readable by the group "readers" only.
  harness = await startHarness([{ type: 'http', name: 'silent', scheme: 'http', repositories: [`${silent.host}/silent/*`] }], {
    gitgate: { config: { fetch: { restricted: [{ repositories: ['demo/*', 'silent/*'], groups: ['readers'] }] } } },
  });
});
t.teardown(async () => {
  await harness.close();
  silent.server.closeAllConnections();
  silent.server.close();
});

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

t.test('a read is asked of the upstream while the policy decides; a refusal aborts it unanswered', async (t) => {
  const started = Date.now();
  const refused = await git.run(['ls-remote', harness.remote(`${silent.host}/silent/repo`)], harness.root);
  t.not(refused.code, 0);
  t.match(refused.stderr, /remote: gitgate refused this fetch:\s+remote: READ_NOT_ALLOWED: agent-1 may not read silent\/repo/);
  t.ok(Date.now() - started < 10_000, 'the refusal did not wait for the upstream');
  t.equal(silent.requests.length, 1, 'the upstream was asked before the decision');
  const [asked] = silent.requests;
  if (!asked!.closed) await once(asked!, 'close');
  t.ok(asked!.destroyed, 'the refused read was aborted at the upstream');
  t.equal(asked!.headers['git-protocol'], 'version=2');
  t.notMatch(JSON.stringify(asked!.headers), harness.token, 'the agent token never reaches the upstream');
});
