import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { JsonMaskingStream, type SecretMasker } from '../secrets/index.js';
import { GitHubApiError } from './errors.js';

/** Headers that belong to one connection, or that gitgate sets itself, never copied from GitHub. */
const DROPPED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'set-cookie', 'content-encoding', 'content-length']);

/** Text that is not JSON (raw file contents, diffs, patches, logs) is masked whole, up to this size. */
const MAX_TEXT_BYTES = 16 * 1024 * 1024;

export interface RelayOptions {
  masker: SecretMasker;
  /** GitHub's API base URL as it appears in `Link` and `Location` headers. */
  upstreamBase: string;
  /** What replaces it: the gateway's public URL plus the prefix. */
  gatewayBase: string;
  head: boolean;
  /** More prefixes to rewrite in `Link` / `Location`, e.g. GitHub's `/repositories/{id}` form of this repository. */
  rewrites?: readonly (readonly [from: string, to: string])[];
}

export type BodyKind = 'json' | 'text' | 'binary';

export function bodyKindOf(contentType: string | undefined): BodyKind {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === '' || type === 'application/json' || type.endsWith('+json')) return 'json';
  if (type.startsWith('text/') || type.includes('diff') || type.includes('patch') || type.includes('raw') || type.endsWith('+xml') || type === 'application/xml') return 'text';
  return 'binary';
}

/** Rewrites GitHub API URLs in `Link` / `Location` so clients follow them through gitgate. */
export function rewriteUrls(value: string, upstreamBase: string, gatewayBase: string): string {
  return value.split(upstreamBase).join(gatewayBase);
}

export function relayedHeaders(upstream: IncomingMessage, options: RelayOptions): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value === undefined || DROPPED.has(name)) continue;
    if (name === 'link' || name === 'location') {
      let text = String(value);
      for (const [from, to] of options.rewrites ?? []) text = rewriteUrls(text, from, to);
      headers[name] = rewriteUrls(text, options.upstreamBase, options.gatewayBase);
    }
    else headers[name] = value;
  }
  return headers;
}

function decoded(upstream: IncomingMessage): Readable {
  const encoding = String(upstream.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') return upstream.pipe(createGunzip());
  if (encoding === 'deflate') return upstream.pipe(createInflate());
  if (encoding === 'br') return upstream.pipe(createBrotliDecompress());
  return upstream;
}

function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

/**
 * Sends GitHub's answer on: status and headers (rate limits, ETag, Link, ...) as they are, the
 * body masked: JSON streamed through JsonMaskingStream (string values, base64 `content`), other
 * text masked whole (up to 16 MiB, else refused), binary bodies untouched. Returns the bytes sent.
 */
export async function relayResponse(upstream: IncomingMessage, response: ServerResponse, options: RelayOptions): Promise<number> {
  const status = upstream.statusCode ?? 502;
  const headers = relayedHeaders(upstream, options);
  const noBody = options.head || status === 204 || status === 304 || (status >= 100 && status < 200);
  if (noBody) {
    upstream.resume();
    response.writeHead(status, headers);
    response.end();
    return 0;
  }
  const kind = bodyKindOf(String(upstream.headers['content-type'] ?? ''));
  if (kind === 'text') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of decoded(upstream)) {
      size += (chunk as Buffer).length;
      if (size > MAX_TEXT_BYTES) {
        upstream.destroy();
        throw new GitHubApiError('API_RESPONSE_NOT_MASKABLE', 502, `GitHub's answer is text over ${MAX_TEXT_BYTES / 1024 / 1024} MiB, which gitgate cannot check for secrets; ask for JSON (Accept: application/vnd.github+json) instead`);
      }
      chunks.push(chunk as Buffer);
    }
    const masked = options.masker.maskBytes(Buffer.concat(chunks));
    response.writeHead(status, { ...headers, 'content-length': String(masked.length) });
    response.end(masked);
    return masked.length;
  }
  let bytes = 0;
  response.writeHead(status, headers);
  const stages: NodeJS.ReadWriteStream[] = kind === 'json' ? [new JsonMaskingStream(options.masker)] : [];
  try {
    await pipeline([decoded(upstream), ...stages, counter((n) => (bytes += n)), response]);
  } catch {
    // Headers are out: all that is left is to cut the connection so the client sees the failure.
    response.destroy();
  }
  return bytes;
}
