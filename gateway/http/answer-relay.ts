import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { UpstreamError } from '../upstream/errors.js';
import type { UpstreamResponse } from '../upstream/git-upstream.js';

/** git's smart HTTP answers must not be cached by anything in between. */
export const NO_CACHE = { 'cache-control': 'no-cache, max-age=0, must-revalidate', pragma: 'no-cache', expires: 'Fri, 01 Jan 1980 00:00:00 GMT' };

/** What a relay did: the bytes relayed, and why it broke off when it did after its headers. */
export interface RelayedAnswer {
  bytes: number;
  interrupted?: { code: string; message: string };
}

/**
 * Relays the upstream's answer; resolves the bytes relayed and, when the relay broke off after
 * the headers were out (the upstream failed, or the client left), why: the connection has been
 * cut then, so that git sees the failure. The headers wait for the answer's first byte: an
 * answer that fails before it (git failing upstream, a connection reset) throws an
 * UpstreamError with nothing sent, so that the caller can answer with the reason. A connection
 * cut before any byte of its answer would make curl send the request again.
 */
export async function relayAnswer(answer: UpstreamResponse, response: ServerResponse, logger: Logger, capture?: Buffer[]): Promise<RelayedAnswer> {
  const { status, contentType, body } = answer;
  if (status === 401 || status === 403) {
    body.resume();
    throw new UpstreamError('UPSTREAM_FAILED', `the upstream refused the gateway's credential (HTTP ${status})`);
  }
  if (status >= 400) {
    body.resume();
    throw new UpstreamError('UPSTREAM_FAILED', `the upstream answered HTTP ${status}`);
  }
  let first: Buffer | undefined;
  try {
    first = await firstChunkOf(body);
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError('UPSTREAM_FAILED', `the upstream's answer broke off before its first byte: ${(error as Error).message}`, { cause: error });
  }
  response.writeHead(status, { 'content-type': contentType, ...NO_CACHE });
  if (first === undefined) {
    response.end();
    return { bytes: 0 };
  }
  let bytes = 0;
  const count = (chunk: Buffer): void => {
    // The audit keeps the start of a push's answer (the report-status) to record each ref's result.
    if (capture !== undefined && bytes < 1024 * 1024) capture.push(chunk);
    bytes += chunk.length;
  };
  count(first);
  response.write(first);
  // The body is paused (firstChunkOf): counting does not start it; the pipeline does.
  body.on('data', count);
  try {
    await pipeline(body, response);
  } catch (error) {
    // Headers are out: all that is left is to cut the connection so git sees the failure.
    logger.warn({ err: error, bytes }, 'relay interrupted');
    response.destroy();
    return { bytes, interrupted: { code: (error as { code?: string }).code ?? 'RELAY_INTERRUPTED', message: `the answer broke off after ${bytes} bytes: ${(error as Error).message}` } };
  }
  return { bytes };
}

/**
 * The first chunk of a stream, or undefined when it ends without one; the stream is left paused
 * with the rest unread. Rejects with the stream's error if it fails first.
 */
function firstChunkOf(body: Readable): Promise<Buffer | undefined> {
  if (body.errored !== null) return Promise.reject(body.errored);
  if (body.readableEnded) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('close', onClose);
      return true;
    };
    const onData = (chunk: Buffer): void => {
      body.pause();
      if (settle()) resolve(chunk);
    };
    const onEnd = (): void => {
      if (settle()) resolve(undefined);
    };
    // Destroyed without an error: nothing more will come.
    const onClose = (): void => {
      if (settle()) reject(new Error('the answer closed before it began'));
    };
    // Stays attached: an error after the first chunk (before the caller's pipeline listens) must
    // not go unhandled; the pipeline sees it through the stream's state.
    body.on('error', (error: Error) => {
      if (settle()) reject(error);
    });
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('close', onClose);
  });
}
