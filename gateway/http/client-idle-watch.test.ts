import t, { type Test } from 'tap';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { until } from '../../testdata/wait-until.js';
import { ClientIdleWatch } from './client-idle-watch.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server that hands each request to `onRequest`, and a raw client that sends the request's start. */
async function serverAndClient(t: Test, onRequest: (request: IncomingMessage) => void): Promise<Socket> {
  const server: Server = createServer((request) => onRequest(request));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.on('error', () => {});
  t.teardown(() => socket.destroy());
  return socket;
}

const POST_HEAD = 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n';

t.test('time the gateway spends not reading never counts against the client; a client that then sends nothing is cut', async (t) => {
  const watch = new ClientIdleWatch(200);
  t.teardown(() => watch.stop());
  let cutAt: number | undefined;
  let received: IncomingMessage | undefined;
  const socket = await serverAndClient(t, (request) => {
    received = request;
    watch.watch(request, () => (cutAt = performance.now()));
  });
  socket.write(POST_HEAD + 'x'.repeat(100));
  // The handler reads nothing for three idle periods: the 100 bytes wait in its buffer.
  await sleep(650);
  t.equal(cutAt, undefined, 'not cut while the gateway had bytes it did not read');
  t.equal(watch.size, 1);
  const readAt = performance.now();
  received!.resume();
  // Waited for rather than slept on: a loaded machine may run the watch's timer late.
  await until('the idle client is cut', () => cutAt !== undefined, { ms: 10_000, everyMs: 20 });
  t.ok(cutAt !== undefined, 'cut once everything sent was read and nothing more came');
  t.ok(cutAt! - readAt >= 200, `after the idle time (${Math.round(cutAt! - readAt)} ms)`);
  t.equal(watch.size, 0);
});

t.test('bytes that keep coming keep a request alive however long it takes', async (t) => {
  // Bytes every 100 ms against an idle time of 500 ms: room for a loaded machine's late timers.
  const watch = new ClientIdleWatch(500);
  t.teardown(() => watch.stop());
  let cut = false;
  let ended = false;
  const socket = await serverAndClient(t, (request) => {
    watch.watch(request, () => (cut = true));
    request.resume().on('end', () => (ended = true));
  });
  socket.write(POST_HEAD);
  for (let sent = 0; sent < 1000; sent += 100) {
    await sleep(100);
    socket.write('y'.repeat(100));
  }
  await until('the body has arrived', () => ended || cut, { ms: 10_000, everyMs: 10 });
  t.ok(ended, 'the body arrived whole over a second, twice the idle time');
  t.notOk(cut);
  await until('the complete request is no longer watched', () => watch.size === 0, { ms: 10_000, everyMs: 20 });
  t.equal(watch.size, 0, 'a complete request is no longer watched');
});

t.test('an idle time of 0 watches nothing', async (t) => {
  const watch = new ClientIdleWatch(0);
  const socket = await serverAndClient(t, (request) => watch.watch(request, () => t.fail('cut')));
  socket.write(POST_HEAD);
  await sleep(100);
  t.equal(watch.size, 0);
});
