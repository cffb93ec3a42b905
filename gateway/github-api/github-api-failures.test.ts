import t from 'tap';
import { startApiHarness } from './github-api-test-harness.js';

t.test('a merge whose pull request cannot be read is refused (fail closed); GitHub down gives 502', async (t) => {
  const h = await startApiHarness();
  t.teardown(() => h.close());
  const missing = await h.call('PUT', '/repos/acme/app/pulls/99/merge', { body: {} });
  t.equal(missing.status, 404);
  t.match(((await missing.json()) as { message: string }).message, 'pull request #99 of acme/app does not exist');
  await h.github.close();
  const down = await h.call('PUT', '/repos/acme/app/pulls/1/merge', { body: {} });
  t.equal(down.status, 502);
  t.match(((await down.json()) as { message: string }).message, /gitgate cannot reach GitHub \(http:\/\/127\.0\.0\.1:\d+\): ECONNREFUSED/);
  const read = await h.call('GET', '/repos/acme/app');
  t.equal(read.status, 502);
  await read.arrayBuffer();
  const health = await fetch(`${h.gateway.gateway.url}/demo/hello.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Bearer ${h.gateway.token}` } });
  t.equal(health.status, 200, 'git keeps being served');
  await health.arrayBuffer();
});
