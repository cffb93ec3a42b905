import t from 'tap';
import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { UpstreamError } from '../upstream/errors.js';
import { relayAnswer, type RelayedAnswer } from './answer-relay.js';

const logger = pino({ level: 'silent' });

/**
 * Serves one request by relaying `upstreamBody` (fed by `feed` once the relay waits on it);
 * resolves what the relay did, or the error it threw (the response then answers 502 itself),
 * and what the client got.
 */
async function relayOnce(feed: (body: PassThrough) => void): Promise<{ relayed: RelayedAnswer | Error; status: number | undefined; text: string; clientError?: string }> {
  let relayed: RelayedAnswer | Error | undefined;
  const server = createServer((_request, response: ServerResponse) => {
    const body = new PassThrough();
    const relaying = relayAnswer({ status: 200, contentType: 'application/x-git-upload-pack-result', body }, response, logger);
    setImmediate(() => feed(body));
    relaying.then(
      (result) => (relayed = result),
      (error: Error) => {
        relayed = error;
        if (!response.headersSent) response.writeHead(502).end(`gitgate: ${error.message}`);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    const got = await new Promise<{ status: number | undefined; text: string; clientError?: string }>((resolve) => {
      get({ host: '127.0.0.1', port, path: '/' }, (response: IncomingMessage) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode, text }));
        response.on('error', (error) => resolve({ status: response.statusCode, text, clientError: error.message }));
      }).on('error', (error) => resolve({ status: undefined, text: '', clientError: error.message }));
    });
    return { relayed: relayed!, ...got };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

t.test('an answer is relayed whole, its bytes counted', async (t) => {
  const result = await relayOnce((body) => {
    body.write('0008NAK\n');
    body.end('0000');
  });
  t.same(result.relayed, { bytes: 12 });
  t.equal(result.status, 200);
  t.equal(result.text, '0008NAK\n0000');
});

t.test('an empty answer is an empty 200', async (t) => {
  const result = await relayOnce((body) => body.end());
  t.same(result.relayed, { bytes: 0 });
  t.equal(result.status, 200);
  t.equal(result.text, '');
});

t.test('an answer that fails before its first byte sends nothing: the caller answers with the reason', async (t) => {
  const result = await relayOnce((body) => body.destroy(new Error('git upload-pack exited 128')));
  t.ok(result.relayed instanceof UpstreamError);
  t.match(result.relayed, { code: 'UPSTREAM_FAILED', message: "the upstream's answer broke off before its first byte: git upload-pack exited 128" });
  t.equal(result.status, 502);
  t.match(result.text, /broke off before its first byte/);
});

t.test('an answer destroyed without an error before its first byte fails the same way, instead of hanging', async (t) => {
  const result = await relayOnce((body) => body.destroy());
  t.match(result.relayed, { code: 'UPSTREAM_FAILED', message: /closed before it began/ });
  t.equal(result.status, 502);
});

t.test('an upstream error already an UpstreamError keeps its code and message', async (t) => {
  const result = await relayOnce((body) => body.destroy(new UpstreamError('UPSTREAM_UNREACHABLE', 'the upstream did not answer within 30 s')));
  t.match(result.relayed, { code: 'UPSTREAM_UNREACHABLE', message: 'the upstream did not answer within 30 s' });
});

t.test('an answer that breaks off after it began cuts the connection and says so', async (t) => {
  const result = await relayOnce((body) => {
    body.write('0008NAK\n');
    setTimeout(() => body.destroy(new Error('connection reset')), 20);
  });
  t.match(result.relayed, { bytes: 8, interrupted: { message: 'the answer broke off after 8 bytes: connection reset' } });
  t.equal(result.status, 200, 'the headers had gone out');
  t.equal(result.text, '0008NAK\n');
  t.match(result.clientError, /aborted/, 'the client sees the cut, not a complete answer');
});
