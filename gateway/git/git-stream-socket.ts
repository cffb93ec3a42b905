import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A started git's standard streams reach the gateway as three connections to this socket, each
 * opened by a line naming the start (a random token of 32 hex digits) and the stream (0, 1 or 2).
 */
const STREAM_HEADER_BYTES = 32 + 1 + 1;

/** What a start waiting for its three streams is told. */
export interface StreamArrivals {
  /** A stream arrived; `sockets` has it at its index. */
  arrived(sockets: readonly (Socket | undefined)[]): void;
  /** The socket failed: the start cannot be connected through it. */
  failed(error: Error): void;
}

/**
 * The local socket the git launcher connects started gits' standard streams to, in a directory
 * only this user can enter (mode 0700), removed when closed.
 */
export class GitStreamSocket {
  private readonly waiting = new Map<string, { sockets: (Socket | undefined)[]; arrivals: StreamArrivals }>();
  private readonly server: Server;
  private failure: Error | undefined;

  private constructor(
    private readonly directory: string,
    readonly path: string,
  ) {
    this.server = createServer((socket) => this.accept(socket));
    this.server.on('error', (error) => {
      this.failure = error;
      for (const { arrivals } of [...this.waiting.values()]) arrivals.failed(error);
      this.waiting.clear();
    });
    this.server.listen(path);
    this.server.unref();
  }

  /** Opens one in a new temporary directory; throws when none can be made. */
  static open(): GitStreamSocket {
    const directory = mkdtempSync(join(tmpdir(), 'gitgate-launcher-'));
    return new GitStreamSocket(directory, join(directory, 'streams.sock'));
  }

  /** Why it stopped accepting, once it has. */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Waits for the three streams of a start; the returned token goes in their first lines. */
  expect(arrivals: StreamArrivals): { token: string; sockets: readonly (Socket | undefined)[] } {
    const token = randomBytes(16).toString('hex');
    const sockets: (Socket | undefined)[] = [undefined, undefined, undefined];
    this.waiting.set(token, { sockets, arrivals });
    return { token, sockets };
  }

  /** No longer waits for that start's streams (those still to come are refused). */
  forget(token: string): void {
    this.waiting.delete(token);
  }

  close(): void {
    this.server.close();
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** A connection from a started git: its first line says which start and which stream it is. */
  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    const readHeader = () => {
      const header = socket.read(STREAM_HEADER_BYTES) as Buffer | null;
      if (header === null) return;
      socket.off('readable', readHeader);
      const text = header.toString('latin1');
      const start = this.waiting.get(text.slice(0, 32));
      const index = Number(text[32]);
      if (start === undefined || !(index >= 0 && index <= 2) || text[33] !== '\n' || start.sockets[index] !== undefined) {
        socket.destroy();
        return;
      }
      start.sockets[index] = socket;
      start.arrivals.arrived(start.sockets);
    };
    socket.on('readable', readHeader);
  }
}
