import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSelfSignedCertificate } from '../../testdata/self-signed-certificate.js';
import { loadTlsCertificate, ServedTlsCertificate, TlsCertificateError, tlsFilesSignature, type TlsReloadResult } from './tls-certificate.js';
import { until } from '../../testdata/wait-until.js';

const dir = mkdtempSync(join(tmpdir(), 'gitgate-tls-cert-'));
function makePair(name: string): { certFile: string; keyFile: string } {
  return makeSelfSignedCertificate(dir, name, { subject: `/CN=${name}.example`, days: 2 });
}
const one = makePair('one');
const two = makePair('two');

t.test('a certificate and its key load with what may be shown of them', async (t) => {
  const loaded = loadTlsCertificate(one);
  t.equal(loaded.subject, 'CN=one.example');
  t.ok(loaded.notAfter.getTime() > Date.now());
  t.match(loaded.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  t.equal(loaded.filesSignature, tlsFilesSignature(one));
});

t.test('what cannot be served is refused with the file named and no key bytes', async (t) => {
  const encryptedKey = join(dir, 'encrypted.key');
  execFileSync('openssl', ['pkey', '-in', one.keyFile, '-aes256', '-passout', 'pass:fake-passphrase', '-out', encryptedKey], { stdio: 'ignore' });
  const garbage = join(dir, 'garbage.pem');
  writeFileSync(garbage, 'not pem at all\n');
  const cases: [{ certFile: string; keyFile: string }, RegExp][] = [
    [{ certFile: join(dir, 'absent.crt'), keyFile: one.keyFile }, /^tls\.cert_file \S+absent\.crt: cannot read it \(ENOENT\)$/],
    [{ certFile: one.certFile, keyFile: join(dir, 'absent.key') }, /^tls\.key_file \S+absent\.key: cannot read it \(ENOENT\)$/],
    [{ certFile: garbage, keyFile: one.keyFile }, /^tls\.cert_file \S+garbage\.pem: not a PEM certificate$/],
    [{ certFile: one.certFile, keyFile: garbage }, /^tls\.key_file \S+garbage\.pem: not an unencrypted PEM private key$/],
    [{ certFile: one.certFile, keyFile: encryptedKey }, /^tls\.key_file \S+encrypted\.key: not an unencrypted PEM private key$/],
    [{ certFile: one.certFile, keyFile: two.keyFile }, /^tls\.key_file \S+two\.key is not the key of the certificate in tls\.cert_file \S+one\.crt$/],
    // A key given as the certificate: not a certificate, and its bytes are not echoed.
    [{ certFile: one.keyFile, keyFile: one.keyFile }, /^tls\.cert_file \S+one\.key: not a PEM certificate$/],
  ];
  for (const [files, message] of cases) {
    const error = t.throws(() => loadTlsCertificate(files)) as unknown;
    t.ok(error instanceof TlsCertificateError);
    t.match(error, { code: 'TLS_CERTIFICATE_INVALID', message });
    t.notMatch((error as Error).message, /PRIVATE KEY|BEGIN/);
  }
});

t.test('the files signature changes when a file is replaced or rewritten, not when it is only read', async (t) => {
  const files = { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') };
  writeFileSync(files.certFile, readFileSync(one.certFile));
  writeFileSync(files.keyFile, readFileSync(one.keyFile));
  const before = tlsFilesSignature(files);
  loadTlsCertificate(files);
  t.equal(tlsFilesSignature(files), before);
  writeFileSync(`${files.keyFile}.new`, readFileSync(two.keyFile));
  renameSync(`${files.keyFile}.new`, files.keyFile);
  const moved = tlsFilesSignature(files);
  t.not(moved, before, 'a new file moved over the key');
  writeFileSync(files.certFile, readFileSync(two.certFile));
  t.not(tlsFilesSignature(files), moved, 'the certificate rewritten in place');
  renameSync(files.certFile, `${files.certFile}.gone`);
  t.match(tlsFilesSignature(files), /^missing\|/);
});

t.test('ServedTlsCertificate: a renewal is served once whole, a half-written one is refused and tried again when the files change', async (t) => {
  const files = { certFile: join(dir, 'served.crt'), keyFile: join(dir, 'served.key') };
  const replace = (source: string, target: string) => {
    writeFileSync(`${target}.new`, readFileSync(source));
    renameSync(`${target}.new`, target);
  };
  replace(one.certFile, files.certFile);
  replace(one.keyFile, files.keyFile);
  const served: string[] = [];
  const reports: TlsReloadResult[] = [];
  const certificate = new ServedTlsCertificate(files, loadTlsCertificate(files), (loaded) => served.push(loaded.subject), (result) => reports.push(result), 20);
  t.teardown(() => certificate.stop());
  t.equal(certificate.certificate.subject, 'CN=one.example');
  replace(two.certFile, files.certFile);
  await until('the refused reload', () => reports.length === 1, { ms: 2_000, everyMs: 10 });
  t.match(reports, [{ status: 'failed', message: /is not the key of the certificate/, served: { subject: 'CN=one.example' } }]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(reports.length, 1, 'unchanged files are not tried again');
  t.same(served, []);
  replace(two.keyFile, files.keyFile);
  await until('the reload', () => reports.length === 2, { ms: 2_000, everyMs: 10 });
  t.match(reports[1], { status: 'reloaded', certificate: { subject: 'CN=two.example' } });
  t.same(served, ['CN=two.example']);
  t.equal(certificate.certificate.subject, 'CN=two.example');
  t.match(certificate.reload(), { status: 'reloaded' }, 'reload reads the files again when asked (SIGHUP)');
  t.equal(served.length, 2);
});
