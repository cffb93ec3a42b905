import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenStore } from '../identity/token-store.js';
import { APPROVALS_ADMIN_GROUP } from './approvals-http-handler.js';

export const DEMO_ADMIN_SUBJECT = 'demo-admin';
/** The approver groups of the default policy library, and the admin group. */
export const DEMO_ADMIN_GROUPS = ['production-review', 'ci-review', APPROVALS_ADMIN_GROUP];

export function adminTokenPath(dataDir: string): string {
  return join(dataDir, 'admin-token');
}

/**
 * The approver token of the embedded default (a person in every approver group of the default
 * policies): a static token like the others, so only its hash is in the tokens file; the text is
 * kept in `<dataDir>/admin-token` (mode 0600) for `gitgate approvals` and the web UI login.
 */
export function ensureAdminToken(dataDir: string, tokens: TokenStore): string {
  const path = adminTokenPath(dataDir);
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (tokens.verify(token) !== undefined) return token;
  }
  const { token } = tokens.create(DEMO_ADMIN_SUBJECT, DEMO_ADMIN_GROUPS, 'human');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}
