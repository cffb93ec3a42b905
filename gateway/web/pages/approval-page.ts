import type { ApprovalDetail, ApprovalFileContent } from '../../approvals/index.js';
import { APPROVALS_ADMIN_GROUP } from '../../approvals/approvals-http-handler.js';
import { html, type Html } from '../html.js';
import type { WebSession } from '../session-store.js';
import { diffText } from '../text-diff.js';
import { layout } from './layout.js';
import { stateBadge } from './approval-list-page.js';

function when(timestamp: string): Html {
  return html`<time datetime="${timestamp}">${timestamp.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

function fileDiff(content: ApprovalFileContent, index: number): Html {
  const heading = html`<h3 id="file-${index}"><code>${content.path}</code> <span class="muted">(${content.status}, ${content.ref})</span></h3>`;
  if (content.omitted !== undefined) {
    const why = { binary: 'binary file: not shown', 'too-large': 'larger than the diff limit: not shown', unavailable: 'content not available' }[content.omitted];
    return html`${heading}<p class="muted">${why}</p>`;
  }
  const diff = diffText(content.old_text, content.new_text);
  if (diff.kind === 'too-different') return html`${heading}<p class="muted">Rewritten: ${diff.removed} lines removed, ${diff.added} added (too different to show line by line).</p>`;
  if (diff.hunks.length === 0) return html`${heading}<p class="muted">No text change (mode or rename only).</p>`;
  return html`${heading}<p class="muted">${diff.added} added, ${diff.removed} removed</p>
<div class="diff" role="region" aria-labelledby="file-${index}"><pre>${diff.hunks.map(
    (hunk) =>
      html`<span class="line hunk">@@ -${hunk.oldStart} +${hunk.newStart} @@</span>${hunk.lines.map((line) => {
        const sign = line.kind === 'added' ? '+' : line.kind === 'removed' ? '-' : ' ';
        const css = line.kind === 'added' ? 'add' : line.kind === 'removed' ? 'del' : 'ctx';
        const label = line.kind === 'added' ? 'added' : line.kind === 'removed' ? 'removed' : '';
        return html`<span class="line ${css}"${label === '' ? html`` : html` title="${label}"`}><span class="num" aria-hidden="true">${line.oldNumber ?? ''}</span><span class="num" aria-hidden="true">${line.newNumber ?? ''}</span>${sign}${line.text}</span>`;
      })}`,
  )}</pre></div>`;
}

export interface ApprovalPageOptions {
  notice?: { kind: 'ok' | 'error'; text: string };
  /** The reason typed before an error, kept so nothing is lost. */
  reason?: string;
}

/** /ui/approvals/<id>: everything an approver needs to decide, and the decision forms. */
export function approvalPage(session: WebSession, detail: ApprovalDetail, contents: readonly ApprovalFileContent[], options: ApprovalPageOptions = {}): Html {
  const { request, progress, can } = detail;
  const reasons = [
    ...request.requirements.map((q) => `${q.group}${q.ref ? ` (${q.ref})` : ''}: ${q.reason}`),
    ...request.policy_reasons.filter((reason) => !request.requirements.some((q) => q.reason === reason)),
  ];
  const decidable = request.state === 'pending';
  const csrf = html`<input type="hidden" name="csrf" value="${session.csrfToken}">`;
  return layout({
    title: `Approval ${request.id}`,
    session,
    section: 'approvals',
    body: html`<h1>Push to ${request.repository} ${stateBadge(request.state)}</h1>
${options.notice === undefined ? html`` : html`<p class="notice ${options.notice.kind}" role="${options.notice.kind === 'error' ? 'alert' : 'status'}">${options.notice.text}</p>`}
<dl class="facts">
<dt>Request</dt><dd><code>${request.id}</code></dd>
<dt>Repository</dt><dd>${request.repository} <span class="muted">(${request.repository_path} via ${request.upstream})</span></dd>
<dt>Pushed by</dt><dd>${request.pusher.name ?? request.pusher.subject} <span class="muted">(${request.pusher.subject}, ${request.pusher.kind}, ${request.pusher.authentication})</span></dd>
<dt>Created</dt><dd>${when(request.created_at)}</dd>
<dt>Expires</dt><dd>${when(request.expires_at)}</dd>
<dt>Delivery</dt><dd>${
      request.state !== 'pending'
        ? request.delivery === 'held'
          ? 'held on the pusher\'s connection'
          : 'quarantined'
        : request.delivery === 'held'
          ? 'the push is held open, waiting for this decision'
          : 'quarantined: gitgate forwards it when approved'
    }</dd>
<dt>Approvals</dt><dd>${progress.map((p) => html`${p.group}: ${p.given} of ${p.required} `)}</dd>
</dl>

<h2>Why approval is needed</h2>
<ul>${reasons.map((r) => html`<li>${r}</li>`)}</ul>

<h2>Ref changes</h2>
<table><thead><tr><th scope="col">Ref</th><th scope="col">Change</th><th scope="col">Old</th><th scope="col">New</th><th scope="col">Fast-forward</th></tr></thead>
<tbody>${request.refs.map(
      (ref) =>
        html`<tr><td><code>${ref.ref}</code></td><td>${ref.operation}</td><td><code>${ref.old.slice(0, 12)}</code></td><td><code>${ref.new.slice(0, 12)}</code></td><td>${ref.fast_forward === null ? 'n/a' : ref.fast_forward ? 'yes' : 'no'}</td></tr>`,
    )}</tbody></table>

<h2>Commits (${request.commits.length})</h2>
${
  request.commits.length === 0
    ? html`<p class="muted">No new commits.</p>`
    : html`<table><thead><tr><th scope="col">Commit</th><th scope="col">Author</th><th scope="col">Message</th><th scope="col">Signed</th></tr></thead><tbody>${request.commits.map(
        (commit) =>
          html`<tr><td><code title="${commit.id}">${commit.id.slice(0, 12)}</code></td><td>${commit.author.name} <span class="muted">&lt;${commit.author.email}&gt;</span></td><td><pre>${commit.message.trimEnd()}</pre></td><td>${commit.signed ? 'yes' : 'no'}</td></tr>`,
      )}</tbody></table>`
}

<h2>Secret findings (${request.findings.length})</h2>
${
  request.findings.length === 0
    ? html`<p class="muted">None.</p>`
    : html`<table><thead><tr><th scope="col">Rule</th><th scope="col">Where</th><th scope="col">Preview (masked)</th></tr></thead><tbody>${request.findings.map(
        (f) => html`<tr><td>${f.rule}</td><td><code>${f.path}:${f.line}</code> <span class="muted">(${f.commit.slice(0, 12)})</span></td><td><code>${f.preview}</code></td></tr>`,
      )}</tbody></table>`
}

<h2>Changed files (${request.files.length})</h2>
${
  request.files.length === 0
    ? html`<p class="muted">None.</p>`
    : html`<table><thead><tr><th scope="col">Path</th><th scope="col">Status</th><th scope="col">Size</th><th scope="col">Ref</th></tr></thead><tbody>${request.files.map(
        (f) => html`<tr><td><code>${f.path}</code>${f.previous_path ? html` <span class="muted">(from <code>${f.previous_path}</code>)</span>` : html``}</td><td>${f.status}</td><td>${f.binary ? 'binary, ' : ''}${f.size} bytes</td><td><code>${f.ref}</code></td></tr>`,
      )}</tbody></table>`
}

<h2>Diff</h2>
${
  contents.length === 0
    ? html`<p class="muted">No text content was kept for this request.</p>`
    : html`${contents.length > 1 ? html`<nav aria-label="Files in the diff"><ul>${contents.map((c, i) => html`<li><a href="#file-${i}"><code>${c.path}</code></a></li>`)}</ul></nav>` : html``}${contents.map((c, i) => fileDiff(c, i))}`
}

<h2>Decision</h2>
${
  request.denial === undefined
    ? html``
    : html`<p class="notice error">Denied by ${request.denial.by.name ?? request.denial.by.subject} on ${when(request.denial.at)}: ${request.denial.reason}</p>`
}
${request.approvals.length === 0 ? html`` : html`<ul>${request.approvals.map((a) => html`<li>Approved by ${a.approver.name ?? a.approver.subject} for ${a.group} on ${when(a.at)}${a.reason ? `: ${a.reason}` : ''}</li>`)}</ul>`}
${request.forward === undefined ? html`` : html`<p class="notice ${request.forward.outcome === 'forwarded' ? 'ok' : 'error'}">Forwarded by gitgate: ${request.forward.outcome}. ${request.forward.detail.join('; ')}</p>`}
${
  !decidable
    ? html`<p class="muted">This request is ${request.state}; there is nothing to decide.</p>`
    : html`${
        can.approve.allowed
          ? html`<form class="decide" method="post" action="/ui/approvals/${request.id}/approve" aria-labelledby="approve-heading">${csrf}
<h3 id="approve-heading">Approve</h3>
<p class="muted">An approval covers exactly these ref changes by ${request.pusher.subject}: ${request.refs.map((ref) => html`<code>${ref.ref}</code> ${ref.old.slice(0, 12)}..${ref.new.slice(0, 12)} `)}; other commits need a new approval.</p>
<label for="approve-reason">Reason (optional)</label><textarea id="approve-reason" name="reason" maxlength="2000">${options.reason ?? ''}</textarea>
<p><button class="approve" type="submit">Approve this push</button></p></form>`
          : html`<p class="notice">You cannot approve: ${can.approve.why ?? 'not allowed'}</p>`
      }
${
  can.deny.allowed
    ? html`<form class="decide" method="post" action="/ui/approvals/${request.id}/deny" aria-labelledby="deny-heading">${csrf}
<h3 id="deny-heading">Deny</h3>
<label for="deny-reason">Reason (required; the pusher sees it)</label><textarea id="deny-reason" name="reason" required maxlength="2000">${options.reason ?? ''}</textarea>
<p><button class="deny" type="submit">Deny this push</button></p></form>`
    : html`<p class="notice">You cannot deny: ${can.deny.why ?? 'not allowed'}</p>`
}`
}

<h2>History</h2>
<ol>${request.history.map((h) => html`<li>${when(h.at)} <strong>${h.event}</strong> by ${h.by.name ?? h.by.subject}${h.reason ? `: ${h.reason}` : ''} <span class="muted">(${h.state})</span></li>`)}</ol>
${session.identity?.groups.includes(APPROVALS_ADMIN_GROUP) ? html`<p><a href="/ui/audit/requests/${request.id}">Audit events of this request</a></p>` : html``}`,
  });
}
