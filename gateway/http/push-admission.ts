/**
 * How many pushes are handled at once, from receiving to the answer. Decoding and inspecting a
 * pack is where a push takes memory and CPU (a decode cache, the object table, the tree cache),
 * and what it decoded stays until it is answered, so the gateway's memory stays bounded only if
 * the number of such pushes is. Pushes past the limit wait in arrival order, their bytes left
 * unread, for at most the queue time.
 */
export class PushAdmission {
  private active = 0;
  private readonly waiting: { admit: () => void }[] = [];

  constructor(readonly limit: number) {}

  /** Pushes being received, decided or forwarded now. */
  get admitted(): number {
    return this.active;
  }

  /** Pushes waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with the function that ends the push's turn, or with undefined when no turn came
   * within `waitMs` or `signal` aborted first (the client left, the gateway shuts down).
   */
  enter(waitMs: number, signal?: AbortSignal): Promise<(() => void) | undefined> {
    if (this.active < this.limit && this.waiting.length === 0) return Promise.resolve(this.admit());
    if (signal?.aborted === true) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const entry = {
        admit: () => {
          clear();
          resolve(this.admit());
        },
      };
      const giveUp = (): void => {
        clear();
        const index = this.waiting.indexOf(entry);
        if (index >= 0) this.waiting.splice(index, 1);
        resolve(undefined);
      };
      const timer = setTimeout(giveUp, waitMs);
      const clear = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', giveUp);
      };
      signal?.addEventListener('abort', giveUp);
      this.waiting.push(entry);
    });
  }

  private admit(): () => void {
    this.active++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active--;
      this.waiting.shift()?.admit();
    };
  }
}
