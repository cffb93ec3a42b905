import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ApiSecretFinding } from '../../rego/index.js';
import { scanLargeText, type FileScanResult, type SecretFinding, type SecretScanner } from '../secrets/index.js';
import { GitHubApiError } from './errors.js';

const R = '/repos/{owner}/{repo}';
const TEXT_FIELDS_OF = new Map<string, string>([
  [`POST ${R}/issues`, 'issue'],
  [`PATCH ${R}/issues/{issue_number}`, 'issue'],
  [`POST ${R}/issues/{issue_number}/comments`, 'issue comment'],
  [`PATCH ${R}/issues/comments/{comment_id}`, 'issue comment'],
  [`POST ${R}/pulls`, 'pull request'],
  [`PATCH ${R}/pulls/{pull_number}`, 'pull request'],
  [`POST ${R}/pulls/{pull_number}/reviews`, 'review'],
  [`POST ${R}/pulls/{pull_number}/comments`, 'review comment'],
  [`POST ${R}/pulls/{pull_number}/comments/{comment_id}/replies`, 'review comment'],
  [`PATCH ${R}/pulls/comments/{comment_id}`, 'review comment'],
  [`POST ${R}/releases`, 'release'],
  [`PATCH ${R}/releases/{release_id}`, 'release'],
]);

/** What the gateway needs from GitHub to scan only the added lines of a file update. */
export type OldBlobReader = (sha: string) => Promise<Buffer | undefined>;

function policyFinding(finding: SecretFinding): ApiSecretFinding {
  return { rule: finding.ruleId, description: finding.description, path: finding.path, line: finding.line, preview: finding.preview, fingerprint: finding.fingerprint };
}

function decodeBase64(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'base64');
}

/**
 * The findings of a scan that read everything; content that could not be read whole (an encrypted
 * or oversized archive entry) refuses the call: nothing goes to GitHub that was not inspected.
 */
function findingsOf(result: FileScanResult): SecretFinding[] {
  if (result.unscanned !== undefined) {
    throw new GitHubApiError('API_CONTENT_UNINSPECTABLE', 422, `${result.unscanned}; gitgate sends nothing to GitHub that it could not inspect for secrets`);
  }
  return result.findings;
}

/** Findings in a text of any size the body may carry (over the scanner's 1 MiB: in slices, the event loop getting turns between them). */
async function scanText(scanner: SecretScanner, path: string, content: Buffer): Promise<SecretFinding[]> {
  return findingsOf(await scanLargeText(scanner, { path, newContent: content }, nextTurn));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Secrets in content a call writes, as a push's added lines would be scanned:
 * - `PUT contents/{path}`: the new file; for an update (`sha` given) only its added lines, the old
 *   blob read from GitHub when the new content holds a candidate at all;
 * - `POST git/blobs`: the blob (utf-8 or base64);
 * - `POST git/trees`: inline `content` of tree entries, by entry path;
 * - `POST git/commits`: the commit message;
 * - issues, pull requests, comments, reviews and releases: their title, body and name.
 */
export async function scanWrittenContent(
  template: string,
  method: string,
  params: Record<string, string>,
  body: unknown,
  scanner: SecretScanner,
  readOldBlob: OldBlobReader,
): Promise<ApiSecretFinding[] | undefined> {
  if (!isRecord(body)) return undefined;
  const findings: SecretFinding[] = [];
  if (method === 'PUT' && template.endsWith('/contents/{path}')) {
    if (typeof body['content'] !== 'string') return [];
    const path = params['path'] ?? '(file)';
    const content = decodeBase64(body['content']);
    const whole = await scanText(scanner, path, content);
    if (whole.length > 0 && typeof body['sha'] === 'string') {
      const old = await readOldBlob(body['sha']);
      findings.push(...(old === undefined ? whole : findingsOf(await scanLargeText(scanner, { path, oldContent: old, newContent: content }, nextTurn))));
    } else findings.push(...whole);
  } else if (method === 'POST' && template.endsWith('/git/blobs')) {
    if (typeof body['content'] !== 'string') return [];
    const content = body['encoding'] === 'base64' ? decodeBase64(body['content']) : Buffer.from(body['content'], 'utf8');
    findings.push(...(await scanText(scanner, '(blob)', content)));
  } else if (method === 'POST' && template.endsWith('/git/trees')) {
    const entries = Array.isArray(body['tree']) ? body['tree'] : [];
    for (const entry of entries) {
      if (!isRecord(entry) || typeof entry['content'] !== 'string') continue;
      const path = typeof entry['path'] === 'string' && entry['path'] !== '' ? entry['path'] : '(tree entry)';
      findings.push(...(await scanText(scanner, path, Buffer.from(entry['content'], 'utf8'))));
    }
  } else if (method === 'POST' && template.endsWith('/git/commits')) {
    if (typeof body['message'] !== 'string') return [];
    findings.push(...scanner.scanFile({ path: '(commit message)', content: Buffer.from(body['message'], 'utf8') }).findings);
  } else if (TEXT_FIELDS_OF.has(`${method} ${template}`)) {
    // Text an agent posts where others read it (issues, pull requests, comments, releases):
    // a secret there is as exposed as one in a file.
    const what = TEXT_FIELDS_OF.get(`${method} ${template}`)!;
    for (const field of ['title', 'body', 'name']) {
      const value = body[field];
      if (typeof value === 'string') findings.push(...scanner.scanFile({ path: `(${what} ${field})`, content: Buffer.from(value, 'utf8') }).findings);
    }
  } else {
    return undefined;
  }
  return findings.filter((f) => f.status === 'detected').map(policyFinding);
}
