import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';

/** The files of `tls` in gitgate.yaml. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/** A certificate and its key, read and checked to be a pair that TLS can serve. */
export interface TlsCertificate {
  cert: Buffer;
  key: Buffer;
  subject: string;
  notAfter: Date;
  /** SHA-256 of the certificate (`AA:BB:...`), to tell which one is served; it names no secret. */
  fingerprint256: string;
  /** `tlsFilesSignature` taken before the files were read: a change while reading shows later. */
  filesSignature: string;
}

/** What may be shown of a certificate: everything but the bytes (the key's above all). */
export type TlsCertificateInfo = Omit<TlsCertificate, 'cert' | 'key' | 'filesSignature'>;

export function certificateInfo(certificate: TlsCertificate): TlsCertificateInfo {
  return { subject: certificate.subject, notAfter: certificate.notAfter, fingerprint256: certificate.fingerprint256 };
}

/** Why a certificate could not be loaded (`TLS_CERTIFICATE_INVALID`), naming the file and key. */
export class TlsCertificateError extends Error {
  readonly code = 'TLS_CERTIFICATE_INVALID';
}

function readTlsFile(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new TlsCertificateError(`tls.${key} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/**
 * Reads the certificate (with its chain) and the private key, and checks them as the TLS server
 * will use them: a PEM certificate, an unencrypted key, the key belonging to the certificate.
 * Messages name the file, never the key's bytes.
 */
export function loadTlsCertificate(files: TlsFiles): TlsCertificate {
  const filesSignature = tlsFilesSignature(files);
  const cert = readTlsFile(files.certFile, 'cert_file');
  const key = readTlsFile(files.keyFile, 'key_file');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new TlsCertificateError(`tls.cert_file ${files.certFile}: not a PEM certificate`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new TlsCertificateError(`tls.key_file ${files.keyFile}: not an unencrypted PEM private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsCertificateError(`tls.key_file ${files.keyFile} is not the key of the certificate in tls.cert_file ${files.certFile}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new TlsCertificateError(`tls: the certificate and key cannot be served: ${(error as Error).message}`);
  }
  return { cert, key, subject: x509.subject.replace(/\n/g, ', '), notAfter: new Date(x509.validTo), fingerprint256: x509.fingerprint256, filesSignature };
}

/**
 * What changes when either file is replaced: renewed in place, moved over, or swapped behind a
 * symlink as a Kubernetes secret volume does (stat follows the link).
 */
export function tlsFilesSignature(files: TlsFiles): string {
  return [files.certFile, files.keyFile]
    .map((path) => {
      try {
        const stat = statSync(path);
        return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

/** What reloading the certificate did (on SIGHUP, or when its files changed). */
export type TlsReloadResult =
  | { status: 'reloaded'; certificate: TlsCertificateInfo }
  | { status: 'failed'; message: string; error: TlsCertificateError; served: TlsCertificateInfo };

/**
 * The certificate a TLS server serves, kept current: its files are checked every `checkEveryMs`
 * and read again when they changed (or when `reload` is called, on SIGHUP). A pair that cannot be
 * served is refused and the one being served stays; the files are tried again when they change
 * once more. `serve` hands a loaded pair to the server (new connections get it, open ones keep
 * theirs); `reported` hears of every reload.
 */
export class ServedTlsCertificate {
  private signature: string;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly files: TlsFiles,
    private current: TlsCertificate,
    private readonly serve: (certificate: TlsCertificate) => void,
    private readonly reported: (result: TlsReloadResult) => void,
    checkEveryMs = 60_000,
  ) {
    this.signature = current.filesSignature;
    this.timer = setInterval(() => {
      if (tlsFilesSignature(this.files) !== this.signature) this.reload();
    }, checkEveryMs).unref();
  }

  get certificate(): TlsCertificateInfo {
    return certificateInfo(this.current);
  }

  reload(): TlsReloadResult {
    const before = tlsFilesSignature(this.files);
    let result: TlsReloadResult;
    try {
      const loaded = loadTlsCertificate(this.files);
      this.serve(loaded);
      this.current = loaded;
      this.signature = loaded.filesSignature;
      result = { status: 'reloaded', certificate: certificateInfo(loaded) };
    } catch (error) {
      if (!(error instanceof TlsCertificateError)) throw error;
      // Tried again once the files change (a renewal that writes the key after the certificate).
      this.signature = before;
      result = { status: 'failed', message: error.message, error, served: this.certificate };
    }
    this.reported(result);
    return result;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
