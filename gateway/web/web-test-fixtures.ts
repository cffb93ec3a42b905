/** Test helpers of the web UI: a UI server over a real ApprovalService, a cookie-keeping client. */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ApprovalService, ApprovalStore, type ApprovalRequest } from '../approvals/index.js';
import { resolveConfig } from '../config/load-config.js';
import { TokenStore } from '../identity/token-store.js';
import { createWebUi, type WebUi } from './web-ui-setup.js';

export interface WebUiFixture {
  url: string;
  /** The temporary directory (approvals store in `approvals/`). */
  root: string;
  ui: WebUi;
  approvals: ApprovalService;
  tokens: TokenStore;
  /** Tokens of a human approver in production-review, the pushing agent, and a human outside the group. */
  approverToken: string;
  agentToken: string;
  outsiderToken: string;
  clock: { now: number };
  close(): Promise<void>;
}

/** What an attacker controls in a push: commit message, file names, content. */
export const HOSTILE = {
  message: 'Fix </pre><script>alert(1)</script> "quotes" & <b>bold</b>\n',
  path: 'src/<img src=x onerror=alert(1)>.js',
  text: "console.log('<script>document.cookie</script>');\n",
};

/** `extra`: more gitgate.yaml keys (e.g. an https public_url for Secure cookies). */
export async function startWebUiFixture(web: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<WebUiFixture> {
  const root = mkdtempSync(join(tmpdir(), 'gitgate-web-'));
  let url = '';
  const config = resolveConfig({ data_dir: 'data', web, ...extra }, root, join(root, 'gitgate.yaml'));
  const logger = pino({ level: 'silent' });
  const approvals = new ApprovalService(new ApprovalStore(join(root, 'approvals')), { holdSeconds: 0, expirySeconds: 3600, progressIntervalSeconds: 5, publicUrl: () => url }, logger);
  await approvals.start();
  const tokens = new TokenStore(join(root, 'tokens.json'));
  const clock = { now: Date.now() };
  const ui = createWebUi(config, { approvals, tokens, logger, publicUrl: () => url, now: () => clock.now });
  const server: Server = createServer((request, response) => {
    const target = new URL(request.url ?? '/', 'http://ui.invalid');
    if (!ui.handler.claims(request.method ?? 'GET', target)) return void response.writeHead(404).end();
    ui.handler.handle(request, response, target).catch(() => response.writeHead(500).end('internal error'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    root,
    ui,
    approvals,
    tokens,
    approverToken: tokens.create('alice', ['production-review'], 'human').token,
    agentToken: tokens.create('agent-7', ['agents'], 'agent').token,
    outsiderToken: tokens.create('mallory', ['interns'], 'human').token,
    clock,
    close: async () => {
      await approvals.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}


/** A pending request for a push by `agent-7` to main, with hostile content. */
export function createHostileRequest(approvals: ApprovalService): Promise<ApprovalRequest> {
  const commit = 'c'.repeat(40);
  return approvals.create({
    repositoryPath: 'demo/hello',
    repository: 'demo/hello',
    upstream: 'local',
    pusher: { subject: 'agent-7', issuer: 'gitgate:static-tokens', groups: ['agents'], kind: 'agent', authentication: 'token' },
    refs: [{ ref: 'refs/heads/main', old: 'a'.repeat(40), new: commit, operation: 'update', fast_forward: true }],
    commits: [{ id: commit, author: { name: 'Agent <7>', email: 'agent@example.com', time: '2026-01-01T00:00:00Z' }, committer: { name: 'Agent', email: 'agent@example.com', time: '2026-01-01T00:00:00Z' }, message: HOSTILE.message, parents: ['a'.repeat(40)], signed: false }],
    files: [{ ref: 'refs/heads/main', path: HOSTILE.path, status: 'added', size: HOSTILE.text.length, binary: false }],
    findings: [{ rule: 'github-pat', path: HOSTILE.path, line: 1, commit, preview: 'ghp_… (40 chars)', fingerprint: 'f'.repeat(16) }],
    requirements: [{ group: 'production-review', count: 1, reason: 'changes under src/ on main need review <em>now</em>', ref: 'refs/heads/main' }],
    policyDecisionId: 'dec-1',
    policyReasons: [],
    quarantine: undefined,
    fileContents: [
      { ref: 'refs/heads/main', path: HOSTILE.path, status: 'added', new_text: HOSTILE.text },
      { ref: 'refs/heads/main', path: 'src/hello.js', status: 'modified', old_text: "console.log('hello');\n", new_text: "console.log('hello, world');\n" },
    ],
    delivery: 'quarantined',
  });
}

/** fetch that keeps cookies like a browser (one jar), never follows redirects by itself. */
export class CookieClient {
  readonly jar = new Map<string, string>();
  lastSetCookie: string[] = [];

  constructor(readonly base: string) {}

  async request(path: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.jar.size > 0) headers['cookie'] = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(new URL(path, this.base), { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual' });
    this.lastSetCookie = response.headers.getSetCookie();
    for (const cookie of this.lastSetCookie) {
      const [pair] = cookie.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/i.test(cookie)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return response;
  }

  /** The CSRF token of the page's first form. */
  static csrfOf(html: string): string {
    return /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  }

  /** Signs in with a static token through the login form. */
  async signInWithToken(token: string, next = '/ui'): Promise<Response> {
    const page = await (await this.request(`/ui/login?next=${encodeURIComponent(next)}`)).text();
    return this.request('/ui/login/token', { form: { csrf: CookieClient.csrfOf(page), token, next } });
  }
}
