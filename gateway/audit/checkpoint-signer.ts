import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditCheckpoint } from './audit-store.js';
import { AuditError } from './errors.js';

/** The exact bytes a checkpoint signature covers. */
export function checkpointPayload(seq: number, hash: string, time: string): Buffer {
  return Buffer.from(`gitgate-audit-checkpoint:v1\n${seq}\n${hash}\n${time}\n`, 'utf8');
}

/** First 16 hex digits of the SHA-256 of the public key (SPKI DER): names the key in checkpoints. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/**
 * Signs checkpoints with the gateway's Ed25519 key. The private key lives only in this object
 * (loaded at start from a 0600 file); nothing else in the gateway can read it.
 */
export class CheckpointSigner {
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly #privateKey: KeyObject;

  private constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey;
    const publicKey = createPublicKey(privateKey);
    this.keyId = keyIdOf(publicKey);
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /**
   * Loads the PEM private key at `path`, creating one (mode 0600) when the file does not exist;
   * writes the public key beside it (`<path>.pub`) for `gitgate audit verify`. Refuses a key file
   * that others can read.
   */
  static loadOrCreate(path: string): CheckpointSigner {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const { privateKey } = generateKeyPairSync('ed25519');
      writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      chmodSync(path, 0o600);
    }
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new AuditError('AUDIT_KEY_INVALID', `the audit signing key ${path} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it`);
    }
    let key: KeyObject;
    try {
      key = createPrivateKey(readFileSync(path));
    } catch (error) {
      throw new AuditError('AUDIT_KEY_INVALID', `the audit signing key ${path} is not a PEM private key: ${(error as Error).message}`);
    }
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new AuditError('AUDIT_KEY_INVALID', `the audit signing key ${path} is ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519`);
    }
    const signer = new CheckpointSigner(key);
    const publicPath = `${path}.pub`;
    if (!existsSync(publicPath) || readFileSync(publicPath, 'utf8') !== signer.publicKeyPem) writeFileSync(publicPath, signer.publicKeyPem, { mode: 0o644 });
    return signer;
  }

  sign(seq: number, hash: string, time = new Date().toISOString()): AuditCheckpoint {
    const signature = sign(null, checkpointPayload(seq, hash, time), this.#privateKey).toString('base64');
    return { seq, hash, time, key_id: this.keyId, signature };
  }

  /** Never serialize the key. */
  toJSON(): { keyId: string } {
    return { keyId: this.keyId };
  }
}

export function loadPublicKey(pemOrPath: string): KeyObject {
  const pem = pemOrPath.includes('BEGIN') ? pemOrPath : readFileSync(pemOrPath, 'utf8');
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new AuditError('AUDIT_KEY_INVALID', `the audit public key is ${key.asymmetricKeyType ?? 'unknown'}, not Ed25519`);
  return key;
}

export function checkpointSignatureValid(checkpoint: AuditCheckpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, checkpointPayload(checkpoint.seq, checkpoint.hash, checkpoint.time), publicKey, Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    return false;
  }
}
