import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpRelayOptions {
  /** The client's bytes are passed on at most this fast; the server's always at once. Default: no limit. */
  clientBytesPerSecond?: number;
  /**
   * After a connection's client has sent this many bytes of a POST request's body, its further
   * bytes are held back until the connection closes: a client that stops sending in the middle of
   * its request body. (The request's headers are found in the chunk that starts with `POST `.)
   */
  stallPostBodyAfterBytes?: number;
}

export interface TcpRelay {
  host: string;
  port: number;
  /** Connections whose client's bytes are being held back. */
  readonly stalled: number;
  close(): Promise<void>;
}

/**
 * A TCP relay in front of a server, for a real client on a slow or stalling network: it passes
 * the server's bytes straight back and the client's bytes on as `options` allow. When either side
 * closes, so does the other.
 */
export async function startTcpRelay(target: { host: string; port: number }, options: TcpRelayOptions = {}): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let stalled = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client).add(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', closeBoth);
    upstream.pipe(client);
    /** Body bytes of the current POST passed on so far (negative: its headers are still coming). */
    let postBodyBytes: number | undefined;
    /** A POST began whose headers' end has not come yet. */
    let inPostHeaders = false;
    let isStalled = false;
    // The client's bytes go through a queue so that throttling keeps their order.
    let queue = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      if (isStalled) return;
      let pass = chunk;
      const limit = options.stallPostBodyAfterBytes;
      if (limit !== undefined) {
        if (chunk.subarray(0, 5).toString('latin1') === 'POST ') inPostHeaders = true;
        if (inPostHeaders) {
          // (An end of headers split across two chunks is not seen; git's fit in one.)
          const headersEnd = chunk.indexOf('\r\n\r\n');
          if (headersEnd >= 0) {
            inPostHeaders = false;
            postBodyBytes = -(headersEnd + 4);
          }
        }
        if (postBodyBytes !== undefined && !inPostHeaders) {
          const room = limit - postBodyBytes;
          if (room < chunk.length) {
            pass = chunk.subarray(0, room);
            isStalled = true;
            stalled++;
            client.once('close', () => stalled--);
          }
          postBodyBytes += pass.length;
        }
      }
      const rate = options.clientBytesPerSecond;
      if (rate === undefined) {
        if (pass.length > 0) upstream.write(pass);
        return;
      }
      client.pause();
      queue = queue.then(async () => {
        for (let offset = 0; offset < pass.length; ) {
          const slice = pass.subarray(offset, offset + Math.max(1, Math.floor(rate / 20)));
          upstream.write(slice);
          offset += slice.length;
          await new Promise((resolve) => setTimeout(resolve, (1000 * slice.length) / rate));
        }
        client.resume();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    host: '127.0.0.1',
    port: address.port,
    get stalled() {
      return stalled;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
