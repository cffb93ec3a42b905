import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SelfSignedCertificate {
  /** PEM certificate and unencrypted PEM key, as `tls.cert_file` and `tls.key_file` take them. */
  certFile: string;
  keyFile: string;
  fingerprint256: string;
  notAfter: Date;
}

/**
 * A self-signed P-256 certificate made by openssl, as an operator would make one: `<name>.crt` and
 * `<name>.key` in `dir`. By default for 127.0.0.1 (subject and IP address), valid for a day.
 */
export function makeSelfSignedCertificate(dir: string, name: string, options: { subject?: string; ip?: string; days?: number } = {}): SelfSignedCertificate {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const ip = options.ip ?? '127.0.0.1';
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', String(options.days ?? 1), '-subj', options.subject ?? `/CN=${ip}`, '-addext', `subjectAltName=IP:${ip}`, '-keyout', keyFile, '-out', certFile],
    { stdio: 'ignore' },
  );
  const x509 = new X509Certificate(readFileSync(certFile));
  return { certFile, keyFile, fingerprint256: x509.fingerprint256, notAfter: new Date(x509.validTo) };
}
