import t from 'tap';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { GitClient } from './git-client.js';
import { startHarness, type GatewayHarness } from './gateway-harness.js';

let opensslAvailable = true;
try {
  execFileSync('openssl', ['version'], { stdio: 'ignore' });
} catch {
  opensslAvailable = false;
}

t.test('with tls in the config the gateway serves HTTPS and git clones over it', { skip: opensslAvailable ? false : 'needs openssl to make a certificate' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gitgate-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const harness: GatewayHarness = await startHarness([], undefined, { tls: { cert_file: cert, key_file: key } });
  t.teardown(() => harness.close());
  t.match(harness.gateway.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const git = new GitClient({ GIT_SSL_CAINFO: cert });
  const clone = await git.run(['clone', '-q', harness.remote('demo/hello'), 'tls-clone'], harness.root);
  t.equal(clone.code, 0, clone.stderr);
  const untrusted = await new GitClient().run(['ls-remote', harness.remote('demo/hello')], harness.root);
  t.not(untrusted.code, 0, 'a client that does not trust the certificate is refused by TLS');
});
