// A renewed TLS certificate is served without a restart: when its files change (certbot, a
// Kubernetes secret) and on SIGHUP. A pair that cannot be served is refused and the previous one
// stays; a bad pair at start stops `gitgate serve` with a message naming the file.
import t from 'tap';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { makeSelfSignedCertificate } from '../../testdata/self-signed-certificate.js';
import { ensureDemoRepository } from '../demo/demo-setup.js';
import { metricSample } from '../metrics/metrics-test-helpers.js';
import { compileGatewayCli, startChildGateway, type ChildGateway } from './child-gateway.js';
import { GitClient } from './git-client.js';
import { startHarness } from './gateway-harness.js';
import { until } from '../../testdata/wait-until.js';

/** Replaces `target` with `source`'s bytes the way renewal tools do: a new file moved over it. */
function replaceFile(source: string, target: string): void {
  writeFileSync(`${target}.new`, readFileSync(source));
  renameSync(`${target}.new`, target);
}

/** The fingerprint of the certificate a new TLS connection to `url` is shown. */
function servedFingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
      socket.end();
      resolve(fingerprint);
    });
    socket.once('error', reject);
  });
}


const root = mkdtempSync(join(tmpdir(), 'gitgate-tls-reload-'));
const first = makeSelfSignedCertificate(join(root, 'made'), 'first', { subject: '/O=gitgate test first/CN=127.0.0.1', days: 30 });
const renewed = makeSelfSignedCertificate(join(root, 'made'), 'renewed', { subject: '/O=gitgate test renewed/CN=127.0.0.1', days: 90 });

t.test('renewed certificate files are served to new connections without a restart; a half-written renewal is refused until it is whole', async (t) => {
  const live = join(root, 'in-process');
  mkdirSync(live);
  const certFile = join(live, 'cert.pem');
  const keyFile = join(live, 'key.pem');
  replaceFile(first.certFile, certFile);
  replaceFile(first.keyFile, keyFile);
  const harness = await startHarness([], undefined, { tls: { cert_file: certFile, key_file: keyFile } }, { tlsCheckIntervalMs: 100 });
  t.teardown(() => harness.close());
  const clone = (name: string, ca: string) => new GitClient({ GIT_SSL_CAINFO: ca }).run(['clone', '-q', harness.remote('demo/hello'), name], harness.root);
  const metrics = () => harness.gateway.server.metrics.registry.metrics();

  t.equal(await servedFingerprint(harness.gateway.url), first.fingerprint256);
  t.equal((await clone('with-first', first.certFile)).code, 0);
  t.equal(metricSample(await metrics(), 'gitgate_tls_certificate_not_after_timestamp_seconds'), Math.floor(first.notAfter.getTime() / 1000));

  // The renewal writes the certificate first: until the key follows, the pair cannot be served.
  replaceFile(renewed.certFile, certFile);
  await until('the refused reload', () => harness.logs().includes('TLS certificate not reloaded'), { ms: 10_000 });
  t.equal(await servedFingerprint(harness.gateway.url), first.fingerprint256, 'the previous certificate is still served');
  t.equal((await clone('still-first', first.certFile)).code, 0);
  const refused = JSON.parse(harness.logs().split('\n').find((line) => line.includes('TLS certificate not reloaded'))!);
  t.match(refused, { level: 50, code: 'TLS_CERTIFICATE_INVALID', reason: /tls\.key_file .*key\.pem is not the key of the certificate in tls\.cert_file/ });

  replaceFile(renewed.keyFile, keyFile);
  await until('the renewed certificate', async () => (await servedFingerprint(harness.gateway.url)) === renewed.fingerprint256, { ms: 10_000 });
  t.equal((await clone('with-renewed', renewed.certFile)).code, 0, 'a client that trusts the renewed certificate clones');
  t.not((await clone('with-old-trust', first.certFile)).code, 0, 'one that trusts only the previous one is refused by TLS');
  const text = await metrics();
  t.equal(metricSample(text, 'gitgate_tls_certificate_not_after_timestamp_seconds'), Math.floor(renewed.notAfter.getTime() / 1000));
  t.equal(metricSample(text, 'gitgate_tls_certificate_reloads_total{result="failed"}'), 1);
  t.equal(metricSample(text, 'gitgate_tls_certificate_reloads_total{result="ok"}'), 1);
  t.match(harness.logs(), /"msg":"TLS certificate reloaded"/);
  t.notMatch(harness.logs(), /PRIVATE KEY/, 'no key material in the log');
});

t.test('gitgate serve: SIGHUP reloads the certificate, keeps serving when the new one is bad, and a bad one at start stops it', async (t) => {
  const build = await compileGatewayCli();
  t.teardown(() => build.remove());
  const start = (name: string, tls?: { cert_file: string; key_file: string }): Promise<ChildGateway> => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    ensureDemoRepository(join(dir, 'upstream'));
    return startChildGateway({ cli: build.cli, root: dir, upstreams: [{ type: 'file', name: 'local', path: 'upstream' }], ...(tls === undefined ? {} : { extraConfig: { tls } }) });
  };

  const certFile = join(root, 'child', 'cert.pem');
  const keyFile = join(root, 'child', 'key.pem');
  mkdirSync(join(root, 'child'), { recursive: true });
  replaceFile(first.certFile, certFile);
  replaceFile(first.keyFile, keyFile);
  const gateway = await start('child', { cert_file: certFile, key_file: keyFile });
  t.teardown(() => gateway.close());
  t.equal(await servedFingerprint(gateway.url), first.fingerprint256);
  replaceFile(renewed.certFile, certFile);
  replaceFile(renewed.keyFile, keyFile);
  gateway.kill('SIGHUP');
  await until('the reload message', () => gateway.stderr().includes('TLS certificate reloaded'), { ms: 10_000 });
  t.match(gateway.stderr(), /gitgate: TLS certificate reloaded: O=gitgate test renewed, CN=127\.0\.0\.1, valid until \d{4}-/);
  t.equal(await servedFingerprint(gateway.url), renewed.fingerprint256);

  writeFileSync(certFile, 'not a certificate\n');
  gateway.kill('SIGHUP');
  await until('the refusal message', () => gateway.stderr().includes('not reloaded'), { ms: 10_000 });
  t.match(gateway.stderr(), /gitgate: TLS certificate not reloaded: tls\.cert_file \S+cert\.pem: not a PEM certificate; still serving the previous one \(valid until/);
  t.equal(await servedFingerprint(gateway.url), renewed.fingerprint256, 'the running process still serves the good one');
  const clone = await new GitClient({ GIT_SSL_CAINFO: renewed.certFile }).run(['clone', '-q', gateway.remote('demo/hello'), join(root, 'child-clone')], root);
  t.equal(clone.code, 0, clone.stderr);
  gateway.kill('SIGTERM');
  t.equal(await gateway.exited, 0);

  // Without TLS, SIGHUP (a reflex of many operators) no longer ends the process.
  const plain = await start('plain');
  t.teardown(() => plain.close());
  plain.kill('SIGHUP');
  await until('the reload message', () => plain.stderr().includes('reload asked'), { ms: 10_000 });
  t.match(plain.stderr(), /nothing to reload without tls/);
  const health = await fetch(`${plain.url}/healthz`);
  t.equal(health.status, 200, 'still serving');
  plain.kill('SIGTERM');
  t.equal(await plain.exited, 0);

  // A key that is not the certificate's: the start stops with the file named, no stack trace.
  const mismatched = join(root, 'mismatched.key');
  replaceFile(first.keyFile, mismatched);
  const failed = await start('bad-start', { cert_file: renewed.certFile, key_file: mismatched }).then(
    () => t.fail('gitgate serve started with a key that is not the certificate'),
    (error: Error) => error.message,
  );
  t.match(failed, /exited 1 before it was ready:[^]*\ngitgate serve: tls\.key_file \S+mismatched\.key is not the key of the certificate in tls\.cert_file \S+renewed\.crt \(TLS_CERTIFICATE_INVALID\)/);
  t.notMatch(failed, /\n\s+at /, 'no stack trace');
});
