import t, { type Test } from 'tap';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { SecretMasker } from '../secrets/index.js';
import { builtinScanner, fakeGithubToken } from '../secrets/test-helpers.js';
import { bodyKindOf, relayResponse, rewriteUrls } from './response-relay.js';

const masker = new SecretMasker(builtinScanner());
const UPSTREAM_BASE = 'https://api.github.com';
const GATEWAY_BASE = 'http://gateway.test/api/github';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An upstream answering with `body` in 7,919-byte pieces, and a relay in front of it. */
async function relayOf(t: Test, headers: Record<string, string>, body: Buffer): Promise<{ response: Response; bytes: Promise<number> }> {
  const upstream = createServer((_request, response) => {
    response.writeHead(200, headers);
    let at = 0;
    const next = (): void => {
      if (at >= body.length) return void response.end();
      response.write(body.subarray(at, at + 7919));
      at += 7919;
      setImmediate(next);
    };
    next();
  });
  const upstreamUrl = await listen(upstream);
  let resolveBytes: (n: number) => void = () => undefined;
  const bytes = new Promise<number>((resolve) => (resolveBytes = resolve));
  const relay = createServer((_request, response) => {
    get(upstreamUrl, (incoming: IncomingMessage) => {
      void relayResponse(incoming, response, { masker, upstreamBase: UPSTREAM_BASE, gatewayBase: GATEWAY_BASE, head: false }).then(resolveBytes);
    });
  });
  const relayUrl = await listen(relay);
  t.teardown(() => {
    upstream.closeAllConnections();
    relay.closeAllConnections();
    upstream.close();
    relay.close();
  });
  return { response: await fetch(relayUrl), bytes };
}

t.test('a large JSON list streams through masked, values and pagination intact', async (t) => {
  const secret = fakeGithubToken(11);
  const items = Array.from({ length: 20_000 }, (_, i) => ({
    number: i,
    title: `issue ${i} with some text`,
    body: i % 997 === 0 ? `leaked ${secret} here` : `body ${i}`,
    content: i % 1999 === 0 ? Buffer.from(`key = ${secret}\n`).toString('base64') : Buffer.from(`line ${i}\n`).toString('base64'),
  }));
  const json = Buffer.from(JSON.stringify(items));
  t.ok(json.length > 1_000_000);
  const link = `<${UPSTREAM_BASE}/repositories/1/issues?page=2>; rel="next", <${UPSTREAM_BASE}/repositories/1/issues?page=9>; rel="last"`;
  const { response, bytes } = await relayOf(t, { 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'gzip', link, etag: '"abc"', 'x-ratelimit-remaining': '4999' }, gzipSync(json));
  t.equal(response.status, 200);
  t.equal(response.headers.get('link'), `<${GATEWAY_BASE}/repositories/1/issues?page=2>; rel="next", <${GATEWAY_BASE}/repositories/1/issues?page=9>; rel="last"`);
  t.equal(response.headers.get('etag'), '"abc"');
  t.equal(response.headers.get('x-ratelimit-remaining'), '4999');
  t.equal(response.headers.get('content-encoding'), null, 'decoded to be masked');
  const text = await response.text();
  t.notMatch(text, secret);
  const out = JSON.parse(text) as typeof items;
  t.equal(out.length, items.length);
  let masked = 0;
  const changed: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const before = items[i]!;
    const after = out[i]!;
    const hadSecret = before.body.includes(secret) || Buffer.from(before.content, 'base64').toString().includes(secret);
    if (hadSecret) {
      masked += 1;
      if (before.body.includes(secret) && !/^leaked \[REDACTED:[a-z0-9-]+\] here$/.test(after.body)) changed.push(i);
      if (!before.body.includes(secret) && !/^key = \[REDACTED:/.test(Buffer.from(after.content, 'base64').toString())) changed.push(i);
    } else if (after.number !== before.number || after.title !== before.title || after.body !== before.body || after.content !== before.content) changed.push(i);
  }
  t.same(changed, [], 'every item without a secret is identical, every one with a secret masked');
  t.equal(masked, 31);
  t.equal(await bytes, Buffer.byteLength(text));
});

t.test('raw text is masked whole; binary passes untouched', async (t) => {
  const secret = fakeGithubToken(12);
  const raw = await relayOf(t, { 'content-type': 'application/vnd.github.raw; charset=utf-8' }, Buffer.from(`A = 1\nTOKEN = "${secret}"\n`));
  const text = await raw.response.text();
  t.notMatch(text, secret);
  t.match(text, /^A = 1\nTOKEN = "\[REDACTED:/);
  t.equal(raw.response.headers.get('content-length'), String(Buffer.byteLength(text)));
  const binary = Buffer.concat([Buffer.from([0, 1, 2, 255]), Buffer.from(secret)]);
  const zip = await relayOf(t, { 'content-type': 'application/zip' }, binary);
  t.same(Buffer.from(await zip.response.arrayBuffer()), binary);
});

t.test('body kinds and URL rewriting', async (t) => {
  t.equal(bodyKindOf('application/json; charset=utf-8'), 'json');
  t.equal(bodyKindOf('application/vnd.github.v3+json'), 'json');
  t.equal(bodyKindOf('application/vnd.github.diff'), 'text');
  t.equal(bodyKindOf('text/plain'), 'text');
  t.equal(bodyKindOf('application/octet-stream'), 'binary');
  t.equal(rewriteUrls(`${UPSTREAM_BASE}/repos/a/b`, UPSTREAM_BASE, GATEWAY_BASE), `${GATEWAY_BASE}/repos/a/b`);
  t.equal(rewriteUrls('https://uploads.github.com/x', UPSTREAM_BASE, GATEWAY_BASE), 'https://uploads.github.com/x');
});
