import type { AuditEvent, AuditRequestSummary, ChainVerification } from '../../audit/index.js';
import { html, type Html } from '../html.js';
import type { WebSession } from '../session-store.js';
import { layout } from './layout.js';

export interface AuditFilterValues {
  repository: string;
  identity: string;
  decision: string;
  since: string;
  until: string;
}

function chainStatus(status: ChainVerification, checkedAt: string): Html {
  if (status.ok) {
    return html`<p class="notice ok" role="status"><strong>Chain verified</strong>: ${status.events} events in ${status.segments} segment(s), hashes intact; signed through event ${status.signedThrough} (${status.checkpoints} checkpoint(s))${status.unsignedTail > 0 ? `, ${status.unsignedTail} newer event(s) not yet in a signed checkpoint` : ''}. <span class="muted">Checked ${checkedAt}.</span></p>`;
  }
  const first = status.problems[0];
  return html`<div class="notice error" role="alert"><p><strong>Chain verification FAILED</strong>: ${status.problems.length} problem(s); the first bad event is ${first?.seq ?? '?'}${first?.segment ? ` (${first.segment}, line ${first.line ?? '?'})` : ''}: ${first?.message ?? ''}</p>
<p>Run <code>gitgate audit verify</code> on the gateway host for the full report. <span class="muted">Checked ${checkedAt}.</span></p></div>`;
}

function field(id: string, label: string, value: string, extra: Html = html``): Html {
  return html`<p><label for="${id}">${label}</label><input id="${id}" name="${id}" value="${value}"${extra}></p>`;
}

/** /ui/audit: filters, the chain's status, one row per request (newest first). */
export function auditTimelinePage(session: WebSession, filter: AuditFilterValues, rows: readonly AuditRequestSummary[], status: Html, error: string | undefined, limit: number): Html {
  return layout({
    title: 'Audit log',
    session,
    section: 'audit',
    body: html`<h1>Audit log</h1>
${status}
<form class="filters" method="get" action="/ui/audit" role="search" aria-label="Filter the audit log">
${field('repository', 'Repository', filter.repository, html` placeholder="owner/name"`)}
${field('identity', 'Identity (subject)', filter.identity)}
<p><label for="decision">Decision</label><select id="decision" name="decision">${['', 'allow', 'deny', 'approval'].map(
      (value) => html`<option value="${value}"${filter.decision === value ? html` selected` : html``}>${value === '' ? 'any' : value}</option>`,
    )}</select></p>
${field('since', 'Since (ISO time)', filter.since, html` placeholder="2026-11-24T09:00:00Z"`)}
${field('until', 'Until (ISO time)', filter.until)}
<p><button type="submit">Filter</button> <a href="/ui/audit">Clear</a></p>
</form>
${error === undefined ? html`` : html`<p class="notice error" role="alert">${error}</p>`}
<table>
<caption class="muted">${rows.length === limit ? `The newest ${limit} requests matching` : `${rows.length} request(s) matching`}, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Request</th><th scope="col">Kind</th><th scope="col">Identity</th><th scope="col">Repository</th><th scope="col">Decision</th><th scope="col">Landed</th><th scope="col">Events</th></tr></thead>
<tbody>${rows.map(
      (row) => html`<tr><td><time datetime="${row.time}">${row.time}</time></td><td><a href="/ui/audit/requests/${encodeURIComponent(row.request_id)}"><code>${row.request_id}</code></a></td><td>${row.kind}</td><td>${row.actor ?? html`<span class="muted">unauthenticated</span>`}</td><td>${row.repository ?? ''}</td><td>${row.decision ?? ''}</td><td>${row.outcome_unknown === true ? html`<span class="muted">unknown</span>` : row.landed === null ? '' : row.landed.join(', ') || 'nothing'}</td><td>${row.events}</td></tr>`,
    )}</tbody>
</table>`,
  });
}

/** /ui/audit/requests/<id>: every event of one request (or approval), in chain order. */
export function auditRequestPage(session: WebSession, id: string, events: readonly AuditEvent[], status: Html): Html {
  return layout({
    title: `Audit ${id}`,
    session,
    section: 'audit',
    body: html`<h1>Audit events of <code>${id}</code></h1>
${status}
${
  events.length === 0
    ? html`<p class="muted">No events recorded for this id.</p>`
    : html`<ol>${events.map(
        (event) => html`<li><h2 class="mono">#${event.seq} ${event.type}</h2>
<dl class="facts"><dt>Time</dt><dd><time datetime="${event.time}">${event.time}</time></dd>
<dt>Actor</dt><dd>${event.actor === null ? 'none' : `${event.actor.subject} (${event.actor.kind}, ${event.actor.authentication})`}</dd>
<dt>Repository</dt><dd>${event.repository ?? ''}</dd>
<dt>Hash</dt><dd><code>${event.hash}</code></dd></dl>
<pre>${JSON.stringify(event.data, null, 2)}</pre></li>`,
      )}</ol>`
}
<p><a href="/ui/audit">Back to the audit log</a></p>`,
  });
}

export { chainStatus };
