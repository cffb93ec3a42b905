import type { ApprovalRequest } from '../../approvals/index.js';
import { html, type Html } from '../html.js';
import type { WebSession } from '../session-store.js';
import { layout } from './layout.js';

export function stateBadge(state: string): Html {
  return html`<span class="state state-${state}">${state}</span>`;
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

function table(requests: readonly ApprovalRequest[], caption: string, viewerGroups: readonly string[]): Html {
  if (requests.length === 0) return html`<p class="muted">None.</p>`;
  return html`<table>
<caption class="muted">${caption}</caption>
<thead><tr><th scope="col">Request</th><th scope="col">Repository</th><th scope="col">Refs</th><th scope="col">Pushed by</th><th scope="col">Approvers</th><th scope="col">State</th><th scope="col">Created</th></tr></thead>
<tbody>
${requests.map(
  (r) => html`<tr>
<td><a href="/ui/approvals/${r.id}">${r.id}</a></td>
<td>${r.repository}</td>
<td>${r.refs.map((ref) => html`<code>${ref.ref}</code> `)}</td>
<td>${r.pusher.name ?? r.pusher.subject}</td>
<td>${r.requirements.map((q) => html`${q.group}${q.count > 1 ? ` (${q.count})` : ''}${viewerGroups.includes(q.group) ? html` <span class="muted">(you)</span>` : html``} `)}</td>
<td>${stateBadge(r.state)}</td>
<td><time datetime="${r.created_at}">${r.created_at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time></td>
</tr>`,
)}
</tbody>
</table>`;
}

/** /ui: the pending requests first, then the latest decided ones. */
export function approvalListPage(session: WebSession, pending: readonly ApprovalRequest[], recent: readonly ApprovalRequest[]): Html {
  const groups = session.identity?.groups ?? [];
  return layout({
    title: 'Approvals',
    session,
    section: 'approvals',
    body: html`<h1>Pushes waiting for approval</h1>
${table(pending, `${pending.length} pending, newest first`, groups)}
<h2>Recently decided</h2>
${table(recent, 'The latest 20 requests that are no longer pending', groups)}`,
  });
}
