import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { IdentityError } from './errors.js';

/** One issued static token as stored: the hash of the token, never the token. */
export interface StoredToken {
  id: string;
  subject: string;
  groups: string[];
  kind: 'agent' | 'human';
  /** `sha256:<hex>` of the whole token text. */
  hash: string;
  created: string;
}

interface TokensDocument {
  version: 1;
  tokens: StoredToken[];
}

/** Tokens look like `ggt_<id>_<secret>`: the id finds the record, the secret is hashed and compared. */
export const TOKEN_PREFIX = 'ggt_';
const TOKEN_PATTERN = /^ggt_([a-z0-9]{8})_([A-Za-z0-9_-]{32,})$/;
const SUBJECT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

function fileStamp(path: string): string {
  try {
    const stat = statSync(path);
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  } catch {
    return 'absent';
  }
}

function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex')}`;
}

function readDocument(path: string): TokensDocument {
  if (!existsSync(path)) return { version: 1, tokens: [] };
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new IdentityError('TOKENS_FILE_INVALID', `the tokens file ${path} is not valid JSON`, { cause: error });
  }
  const tokens = (document as { tokens?: unknown }).tokens;
  if (typeof document !== 'object' || document === null || (document as { version?: unknown }).version !== 1 || !Array.isArray(tokens)) {
    throw new IdentityError('TOKENS_FILE_INVALID', `the tokens file ${path} must be {"version": 1, "tokens": [...]}`);
  }
  tokens.forEach((token: Partial<StoredToken>, index) => {
    if (typeof token.id !== 'string' || typeof token.subject !== 'string' || typeof token.hash !== 'string' || !Array.isArray(token.groups)) {
      throw new IdentityError('TOKENS_FILE_INVALID', `the tokens file ${path}: tokens[${index}] needs id, subject, groups and hash`);
    }
  });
  return document as TokensDocument;
}

/**
 * Static tokens kept in a JSON file that holds only their SHA-256 hashes. Tokens are long random
 * strings, so one unsalted hash is enough; comparison is constant-time.
 */
export class TokenStore {
  private document: TokensDocument;
  private loadedStamp: string;

  constructor(readonly path: string) {
    this.loadedStamp = fileStamp(path);
    this.document = readDocument(path);
  }

  get tokens(): readonly StoredToken[] {
    return this.document.tokens;
  }

  /** Issues a token, stores its hash, and returns the token text: the only time it is seen. */
  create(subject: string, groups: string[], kind: 'agent' | 'human' = 'agent'): { token: string; record: StoredToken } {
    if (!SUBJECT_PATTERN.test(subject)) {
      throw new IdentityError('TOKEN_SUBJECT_INVALID', `subject '${subject}' must be 1-128 letters, digits or ._:@- and start with a letter or digit`);
    }
    for (const group of groups) {
      if (!SUBJECT_PATTERN.test(group)) throw new IdentityError('TOKEN_SUBJECT_INVALID', `group '${group}' must be 1-128 letters, digits or ._:@-`);
    }
    const id = randomBytes(5).toString('hex').slice(0, 8);
    const token = `${TOKEN_PREFIX}${id}_${randomBytes(24).toString('base64url')}`;
    const record: StoredToken = { id, subject, groups, kind, hash: hashToken(token), created: new Date().toISOString() };
    this.document = { version: 1, tokens: [...readDocument(this.path).tokens, record] };
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.document, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.path);
    this.loadedStamp = fileStamp(this.path);
    return { token, record };
  }

  /** The record of a presented token, or undefined when it is not one of ours. */
  verify(token: string): StoredToken | undefined {
    const match = TOKEN_PATTERN.exec(token);
    if (match === null) return undefined;
    this.reloadIfChanged();
    const record = this.document.tokens.find((t) => t.id === match[1]);
    if (record === undefined) return undefined;
    const expected = Buffer.from(record.hash);
    const actual = Buffer.from(hashToken(token));
    return expected.length === actual.length && timingSafeEqual(expected, actual) ? record : undefined;
  }

  /**
   * Re-reads the file when it changed (tokens created by `gitgate token create` while serving);
   * a file that became unreadable keeps the tokens already loaded.
   */
  private reloadIfChanged(): void {
    const stamp = fileStamp(this.path);
    if (stamp === this.loadedStamp) return;
    try {
      this.document = readDocument(this.path);
      this.loadedStamp = stamp;
    } catch {
      // keep serving with the last good tokens
    }
  }
}
