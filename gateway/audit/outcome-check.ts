import type { Logger } from 'pino';
import type { RequestAuditTrail } from './request-audit-trail.js';

/** A ref update as the forward intent recorded it. */
export interface RecordedCommand {
  ref: string;
  old: string;
  new: string;
}

/**
 * Where a ref is, judged against the update that was forwarded: `landed` (at the pushed id; for a
 * deletion, gone), `not-landed` (still at the old id; for a creation, absent), `changed-since`
 * (anything else: another push moved it).
 */
export type RefState = 'landed' | 'not-landed' | 'changed-since';

export interface RefOutcome {
  ref: string;
  ok: boolean;
  state: RefState;
  found: string;
}

export function refOutcomes(commands: readonly RecordedCommand[], refs: ReadonlyMap<string, string>): RefOutcome[] {
  return commands.map((command) => {
    const found = refs.get(command.ref) ?? '0'.repeat(command.new.length);
    const state: RefState = found === command.new ? 'landed' : found === command.old ? 'not-landed' : 'changed-since';
    return { ref: command.ref, ok: state === 'landed', state, found };
  });
}

/**
 * What an `upstream.result` says landed: the refs the upstream's report calls ok, or, when the
 * forward failed with the upstream perhaps having applied it (`nothingApplied: false`), null and
 * `nothing_applied: false` until OutcomeChecks asks it.
 */
export function landedFields(refs: readonly { ref: string; ok: boolean }[], nothingApplied: boolean | undefined): { landed: string[] | null; nothing_applied?: boolean } {
  return {
    landed: nothingApplied === false ? null : refs.filter((r) => r.ok).map((r) => r.ref),
    ...(nothingApplied === undefined ? {} : { nothing_applied: nothingApplied }),
  };
}

/**
 * When the upstream is asked where the refs of a forward with an unknown outcome are, counted
 * from its failure. The upstream may still be applying the push when its connection broke (its
 * hooks, a large index): a ref still at its old id is asked about again, and recorded as not
 * landed only at the last check.
 */
export const OUTCOME_CHECK_AFTER_MS: readonly number[] = [5_000, 30_000, 120_000];

export interface OutcomeCheck {
  trail: Pick<RequestAuditTrail, 'requestId' | 'record'>;
  commands: readonly RecordedCommand[];
  /** The refs the upstream advertises now (`ref -> id`). */
  askRefs: () => Promise<Map<string, string>>;
}

/**
 * Settles forwards whose outcome is unknown (the upstream had the whole push and failed before
 * answering): asks the upstream where their refs are and records an `upstream.result` with
 * `reconciled: true`, as a restart does for an intent without outcome. Until then the audit log
 * counts the forward as pending (`pendingForwards`), so one the gateway stops before checking is
 * settled at the next start.
 */
export class OutcomeChecks {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly logger: Logger,
    private readonly afterMs: readonly number[] = OUTCOME_CHECK_AFTER_MS,
  ) {}

  schedule(check: OutcomeCheck): void {
    if (this.stopped || this.afterMs.length === 0) return;
    const startedAt = Date.now();
    const attempt = (index: number): void => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.check(check, index, startedAt).then((again) => {
          if (again && !this.stopped) attempt(index + 1);
        });
      }, Math.max(0, startedAt + this.afterMs[index]! - Date.now()));
      timer.unref();
      this.timers.add(timer);
    };
    attempt(0);
  }

  /** Drops the checks not yet made (shutdown): the next start settles their forwards. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** One check; resolves whether to ask again later. */
  private async check(check: OutcomeCheck, index: number, startedAt: number): Promise<boolean> {
    const last = index === this.afterMs.length - 1;
    let outcomes: RefOutcome[];
    try {
      outcomes = refOutcomes(check.commands, await check.askRefs());
    } catch (error) {
      if (!last) return true;
      this.logger.warn({ err: error, request_id: check.trail.requestId }, 'audit: the outcome of a forward could not be checked; checked again at the next start');
      await check.trail.record('error', { code: 'RECONCILE_FAILED', message: (error as Error).message }).catch(() => undefined);
      return false;
    }
    if (this.stopped) return false;
    if (!last && outcomes.some((outcome) => outcome.state === 'not-landed')) return true;
    await check.trail
      .record('upstream.result', {
        reconciled: true,
        checked_after_ms: Date.now() - startedAt,
        status: null,
        bytes: null,
        refs: outcomes,
        landed: outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.ref),
        replay_pack: null,
      })
      .catch((error: unknown) => this.logger.error({ err: error, request_id: check.trail.requestId }, 'audit: the checked outcome of a forward was not recorded'));
    return false;
  }
}
