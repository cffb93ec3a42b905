import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { PolicyEngine, ReloadOutcome } from './policy-engine.js';

export interface PolicyReloaderOptions {
  /** Wait this long after the last change before reloading, so an editor's burst of writes is one reload (default 250 ms). */
  debounceMs?: number;
  /** Reload on this signal too (default SIGHUP; null for none). */
  signal?: NodeJS.Signals | null;
  /** Watch the source for changes (default true); false leaves only the signal and `trigger()`. */
  watchFiles?: boolean;
  /** Told about every reload that was attempted, successful or refused. */
  onReload?: (outcome: ReloadOutcome, trigger: ReloadTrigger) => void;
}

export type ReloadTrigger = 'change' | 'signal' | 'manual';

/** Watches a PolicyEngine's source (and a signal) and reloads it. `close()` stops watching. */
export class PolicyReloader {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onSignal = (): void => void this.trigger('signal');

  constructor(private readonly engine: PolicyEngine, private readonly options: PolicyReloaderOptions = {}) {
    if (options.watchFiles !== false) this.watcher = watchSource(engine, () => this.schedule());
    if (options.signal !== null) process.on(options.signal ?? 'SIGHUP', this.onSignal);
  }

  /** Reloads now (without the debounce) and reports the outcome. */
  async trigger(trigger: ReloadTrigger = 'manual'): Promise<ReloadOutcome> {
    clearTimeout(this.timer);
    const outcome = await this.engine.reload();
    if (outcome.status !== 'unchanged' || trigger !== 'change') this.options.onReload?.(outcome, trigger);
    return outcome;
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    if (this.options.signal !== null) process.off(this.options.signal ?? 'SIGHUP', this.onSignal);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.trigger('change'), this.options.debounceMs ?? 250);
    this.timer.unref();
  }
}

function watchSource(engine: PolicyEngine, changed: () => void): FSWatcher {
  const source = engine.source;
  // A bundle file is usually replaced by rename, which ends a watch on the file itself: watch its directory.
  const watcher =
    source.kind === 'directory'
      ? watch(source.path, { recursive: true, persistent: false }, () => changed())
      : watch(dirname(source.path), { persistent: false }, (_event, name) => {
          if (name === null || name.toString() === basename(source.path)) changed();
        });
  watcher.on('error', () => undefined);
  return watcher;
}
