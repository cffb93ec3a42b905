import type { IncomingMessage } from 'node:http';

interface WatchedRequest {
  bytesRead: number;
  /** When the client last sent bytes, or the gateway last had unread bytes of it. */
  activeAt: number;
  onIdle: () => void;
}

/**
 * Cuts requests whose client stopped sending the body while the gateway waited for it: no bytes
 * arrived for `idleMs` while everything that had arrived was read (checked a few times per idle
 * period, at most every second: a client is cut at most two checks late, never early). Time the gateway spends not
 * reading (deciding, fetching a mirror, a full buffer) never counts against the client, and no
 * total time is imposed: a large push on a slow link takes as long as it needs, as long as its
 * bytes keep coming. This replaces node's `requestTimeout`, which cuts any request whose body
 * takes more than 5 minutes to arrive.
 */
export class ClientIdleWatch {
  private readonly watched = new Map<IncomingMessage, WatchedRequest>();
  private timer: NodeJS.Timeout | undefined;
  private readonly checkEveryMs: number;

  constructor(
    readonly idleMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.checkEveryMs = Math.max(10, Math.min(1000, Math.floor(idleMs / 4)));
  }

  /** Watches `request` until its body has arrived (or it is gone); `onIdle` runs at most once. */
  watch(request: IncomingMessage, onIdle: () => void): void {
    if (this.idleMs <= 0 || request.complete) return;
    this.watched.set(request, { bytesRead: request.socket.bytesRead, activeAt: this.now(), onIdle });
    this.timer ??= setInterval(() => this.check(), this.checkEveryMs).unref();
  }

  get size(): number {
    return this.watched.size;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  private check(): void {
    const now = this.now();
    for (const [request, entry] of this.watched) {
      if (request.complete || request.destroyed || request.socket.destroyed) {
        this.watched.delete(request);
        continue;
      }
      const bytesRead = request.socket.bytesRead;
      // Bytes still buffered mean the gateway, not the client, is behind.
      if (bytesRead !== entry.bytesRead || request.readableLength > 0) {
        entry.bytesRead = bytesRead;
        entry.activeAt = now;
        continue;
      }
      // Activity was last seen at a check; it may have gone on until just before the next one.
      if (now - entry.activeAt >= this.idleMs + this.checkEveryMs) {
        this.watched.delete(request);
        entry.onIdle();
      }
    }
    if (this.watched.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
