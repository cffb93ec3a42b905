import t from 'tap';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';
import { makeSelfSignedCertificate } from '../../testdata/self-signed-certificate.js';

t.test('with tls in the config the gateway serves HTTPS and git clones over it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-tls-'));
  const { certFile: cert, keyFile: key } = makeSelfSignedCertificate(dir, 'gateway');
  const harness: GatewayHarness = await startHarness([], undefined, { tls: { cert_file: cert, key_file: key } });
  t.teardown(() => harness.close());
  t.match(harness.gateway.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const git = new GitClient({ GIT_SSL_CAINFO: cert });
  const clone = await git.run(['clone', '-q', harness.remote('demo/hello'), 'tls-clone'], harness.root);
  t.equal(clone.code, 0, clone.stderr);
  const untrusted = await new GitClient().run(['ls-remote', harness.remote('demo/hello')], harness.root);
  t.not(untrusted.code, 0, 'a client that does not trust the certificate is refused by TLS');
});
