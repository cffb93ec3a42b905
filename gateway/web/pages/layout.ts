import { APPROVALS_ADMIN_GROUP } from '../../approvals/approvals-http-handler.js';
import { html, type Html } from '../html.js';
import type { WebSession } from '../session-store.js';

export interface PageOptions {
  title: string;
  session: WebSession | undefined;
  body: Html;
  /** Marks the current entry of the navigation. */
  section?: 'approvals' | 'audit' | 'login';
}

/** The frame of every page: skip link, header with navigation and sign-out, one h1 per page (in body). */
export function layout({ title, session, body, section }: PageOptions): Html {
  const identity = session?.identity;
  const current = (name: PageOptions['section']) => (section === name ? html` aria-current="page"` : html``);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · gitgate</title>
<link rel="stylesheet" href="/ui/assets/style.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<span class="brand">gitgate</span>
${
  identity === undefined
    ? html``
    : html`<nav aria-label="Main"><ul><li><a href="/ui"${current('approvals')}>Approvals</a></li>${identity.groups.includes(APPROVALS_ADMIN_GROUP) ? html`<li><a href="/ui/audit"${current('audit')}>Audit log</a></li>` : html``}</ul></nav>
<span>Signed in as <strong>${identity.name ?? identity.subject}</strong> <span class="muted">(${identity.authentication}${identity.groups.length > 0 ? `; ${identity.groups.join(', ')}` : ''})</span></span>
<form method="post" action="/ui/logout"><input type="hidden" name="csrf" value="${session!.csrfToken}"><button type="submit">Sign out</button></form>`
}
</header>
<main id="main">
${body}
</main>
</body>
</html>
`;
}

/** A page that only says what went wrong and what to do. */
export function messagePage(session: WebSession | undefined, title: string, message: string, link: { href: string; text: string } = { href: '/ui', text: 'Back to the approvals' }): Html {
  return layout({ title, session, body: html`<h1>${title}</h1><p class="notice error" role="alert">${message}</p><p><a href="${link.href}">${link.text}</a></p>` });
}
