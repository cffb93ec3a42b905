import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Html } from './html.js';
import { WebError } from './web-errors.js';

/** Every UI response: no inline script or style, no framing, no referrer leaking request ids. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
};

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === '' || cookies.has(name)) continue;
    cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

export interface CookieOptions {
  secure: boolean;
  /** Seconds; 0 deletes the cookie; undefined: a browser-session cookie. */
  maxAge?: number;
  /** Lax unless said otherwise; None only with Secure (browsers refuse it otherwise). */
  sameSite?: 'Lax' | 'None';
}

export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', `SameSite=${options.sameSite ?? 'Lax'}`];
  if (options.secure) parts.push('Secure');
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  return parts.join('; ');
}

export function sendHtml(response: ServerResponse, status: number, page: Html, cookies: string[] = []): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}) });
  response.end(page.text);
}

export function sendRedirect(response: ServerResponse, location: string, cookies: string[] = []): void {
  response.writeHead(303, { ...SECURITY_HEADERS, location, ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}) });
  response.end();
}

export function sendAsset(response: ServerResponse, contentType: string, body: string): void {
  response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': contentType, 'cache-control': 'public, max-age=3600' });
  response.end(body);
}

export function sendXml(response: ServerResponse, body: string): void {
  response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/samlmetadata+xml; charset=utf-8' });
  response.end(body);
}

/** Reads an `application/x-www-form-urlencoded` body (at most `limit` bytes). */
export async function readForm(request: IncomingMessage, limit = 256 * 1024): Promise<URLSearchParams> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    request.resume();
    throw new WebError('FORM_INVALID', 'expected a form (application/x-www-form-urlencoded)');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      request.destroy();
      throw new WebError('FORM_TOO_LARGE', `the form is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** A `next` parameter is followed only when it is a local /ui path (no open redirect). */
export function safeNext(value: string | null | undefined): string {
  if (value === null || value === undefined) return '/ui';
  if (!/^\/ui(?:\/[A-Za-z0-9._~%/-]*)?(?:\?[A-Za-z0-9._~%=&+-]*)?$/.test(value) || value.includes('//')) return '/ui';
  return value;
}
