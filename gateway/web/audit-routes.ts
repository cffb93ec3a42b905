import type { KeyObject } from 'node:crypto';
import { listAuditEvents, requestEvents, summarizeRequests, verificationStatus, type AuditEventFilter, type AuditStore, type ChainVerification } from '../audit/index.js';
import { APPROVALS_ADMIN_GROUP } from '../approvals/approvals-http-handler.js';
import type { Html } from './html.js';
import { auditRequestPage, auditTimelinePage, chainStatus, type AuditFilterValues } from './pages/audit-pages.js';
import type { WebRequest } from './web-context.js';
import type { WebRoutes } from './web-ui-handler.js';

const TIMELINE_LIMIT = 200;
/** The chain is verified at most this often for the pages (a full check reads every segment). */
const VERIFY_EVERY_MS = 30_000;

export interface AuditView {
  store: AuditStore;
  publicKey: KeyObject;
}

/**
 * The audit log in the UI, for members of gitgate-admins: a timeline with filters (repository,
 * identity, decision, time), every event of one request, and the chain's verification status.
 */
export class AuditRoutes implements WebRoutes {
  private verified: { at: number; result: Promise<ChainVerification> } | undefined;

  constructor(
    private readonly audit: AuditView,
    private readonly now: () => number = Date.now,
  ) {}

  async handle(web: WebRequest, method: string, path: string): Promise<boolean> {
    if (method !== 'GET' || (path !== '/ui/audit' && !path.startsWith('/ui/audit/requests/'))) return false;
    if (!web.identity!.groups.includes(APPROVALS_ADMIN_GROUP)) {
      web.message(403, 'Not allowed', `The audit log is shown to members of ${APPROVALS_ADMIN_GROUP} only.`);
      return true;
    }
    const status = await this.status();
    if (path === '/ui/audit') await this.timeline(web, status);
    else {
      const id = path.slice('/ui/audit/requests/'.length);
      if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) web.message(404, 'Not found', 'That is not a request or approval id.');
      else await this.request(web, id, status);
    }
    return true;
  }

  private async timeline(web: WebRequest, status: Html): Promise<void> {
    const query = web.url.searchParams;
    const values: AuditFilterValues = {
      repository: (query.get('repository') ?? '').trim(),
      identity: (query.get('identity') ?? '').trim(),
      decision: query.get('decision') ?? '',
      since: (query.get('since') ?? '').trim(),
      until: (query.get('until') ?? '').trim(),
    };
    const filter: AuditEventFilter = { newestFirst: true, limit: TIMELINE_LIMIT };
    if (values.repository !== '') filter.repository = values.repository;
    if (values.identity !== '') filter.identity = values.identity;
    if (values.since !== '') filter.since = values.since;
    if (values.until !== '') filter.until = values.until;
    let error: string | undefined;
    if (values.decision === 'allow' || values.decision === 'deny' || values.decision === 'approval') filter.decision = values.decision;
    else if (values.decision !== '') error = `decision must be allow, deny or approval, not '${values.decision}'`;
    let rows: Awaited<ReturnType<typeof summarizeRequests>> = [];
    if (error === undefined) {
      try {
        rows = await summarizeRequests(this.audit.store, filter);
      } catch (cause) {
        if (!(cause instanceof RangeError)) throw cause;
        error = cause.message;
      }
    }
    web.html(error === undefined ? 200 : 400, auditTimelinePage(web.session!, values, rows, status, error, TIMELINE_LIMIT));
  }

  /** A gateway request id, or an approval id (its lifecycle events carry it in data.approval_id). */
  private async request(web: WebRequest, id: string, status: Html): Promise<void> {
    const events = id.startsWith('apr_')
      ? (await listAuditEvents(this.audit.store)).filter((event) => event.data['approval_id'] === id)
      : await requestEvents(this.audit.store, id);
    web.html(events.length === 0 ? 404 : 200, auditRequestPage(web.session!, id, events, status));
  }

  private async status(): Promise<Html> {
    const now = this.now();
    if (this.verified === undefined || now - this.verified.at > VERIFY_EVERY_MS) {
      const result = verificationStatus(this.audit.store, this.audit.publicKey);
      this.verified = { at: now, result };
      result.catch(() => (this.verified = undefined));
    }
    return chainStatus(await this.verified.result, new Date(this.verified.at).toISOString());
  }
}
