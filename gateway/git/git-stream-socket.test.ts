import t from 'tap';
import { existsSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { GitStreamSocket } from './git-stream-socket.js';

function connect(path: string, firstLine: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('error', reject);
    socket.once('connect', () => socket.write(firstLine, () => resolve(socket)));
  });
}

const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));

t.test('routes each connection by its first line to the start it names; refuses the rest', async (t) => {
  const streams = GitStreamSocket.open();
  t.teardown(() => streams.close());
  t.equal(statSync(dirname(streams.path)).mode & 0o777, 0o700, 'in a directory only this user can enter');
  let arrivals = 0;
  const { token, sockets } = streams.expect({ arrived: () => arrivals++, failed: () => t.fail('no failure') });
  t.match(token, /^[0-9a-f]{32}$/);

  const stdout = await connect(streams.path, `${token}1\nwhat git wrote first`);
  const stranger = await connect(streams.path, `${'0'.repeat(32)}1\n`);
  const badIndex = await connect(streams.path, `${token}7\n`);
  await closed(stranger);
  await closed(badIndex);
  t.pass('a token no start waits for, and a stream number past 2, are cut');
  const twice = await connect(streams.path, `${token}1\n`);
  await closed(twice);
  t.pass('a second connection for a stream already there is cut');
  t.equal(arrivals, 1);
  t.ok(sockets[1] !== undefined && sockets[0] === undefined && sockets[2] === undefined, 'stream 1 arrived, in its place');
  const received = await new Promise<string>((resolve) => sockets[1]!.once('readable', () => resolve(String(sockets[1]!.read()))));
  t.equal(received, 'what git wrote first', 'what follows the first line is the stream');

  streams.forget(token);
  const late = await connect(streams.path, `${token}2\n`);
  await closed(late);
  t.pass('forgotten: its streams are cut');
  stdout.destroy();
});

t.test('closing removes the socket and its directory', async (t) => {
  const streams = GitStreamSocket.open();
  t.ok(existsSync(streams.path));
  streams.close();
  t.notOk(existsSync(dirname(streams.path)));
  t.equal(streams.failed, undefined);
});
