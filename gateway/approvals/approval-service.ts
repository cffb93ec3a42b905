import { EventEmitter, setMaxListeners } from 'node:events';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { GrantedApproval } from '../../rego/index.js';
import { ApprovalError } from './approval-errors.js';
import { approvalFingerprint } from './approval-fingerprint.js';
import * as machine from './approval-state.js';
import type { ApproverIdentity } from './approval-state.js';
import { GATEWAY_ACTOR, isFinal } from './approval-state.js';
import { ApprovalStore, newApprovalId } from './approval-store.js';
import type {
  ActorRecord,
  ApprovalFileContent,
  ApprovalHistoryEntry,
  ApprovalListFilter,
  ApprovalRequest,
  ForwardResult,
  NewApprovalRequest,
} from './approval-types.js';

export const DEFAULT_EXPIRY_SECONDS = 24 * 3600;
export const DEFAULT_HOLD_SECONDS = 120;
export const DEFAULT_PROGRESS_INTERVAL_SECONDS = 5;

export interface ApprovalSettings {
  /** How long a push waits open for a decision before it is rejected and quarantined. */
  holdSeconds: number;
  /** How long a request can be decided, and an approved one used. */
  expirySeconds: number;
  /** Seconds between two `remote:` progress lines while a push is held. */
  progressIntervalSeconds: number;
  /** The gateway's base URL for approval links (known only once it listens). */
  publicUrl: () => string;
}

/** Delivers a quarantined push upstream when it is approved after its hold ended. */
export interface QuarantineForwarder {
  forward(request: ApprovalRequest, body: Readable): Promise<ForwardResult>;
  /** Called by `close`, once the deliveries in flight have ended. */
  stop?(): void;
}

/** `approval.requested`, `approval.approved`, ... one per history entry, for the audit log and webhooks. */
export interface ApprovalEvent {
  type: `approval.${'requested' | 'approval_given' | 'approved' | 'denied' | 'expired' | 'used' | 'cancelled' | 'held' | 'quarantined' | 'forwarded' | 'forward_failed'}`;
  at: string;
  actor: ActorRecord;
  reason: string;
  request: ApprovalRequest;
}

export type ApprovalEventListener = (event: ApprovalEvent) => void;

/** For the web UI: what a request page shows. */
export interface ApprovalDetail {
  request: ApprovalRequest;
  /** The required groups, how many approvers each needs, how many it has. */
  progress: { group: string; required: number; given: number }[];
  /** What `viewer` may do now (false with the reason when not). */
  can: { approve: { allowed: boolean; why?: string }; deny: { allowed: boolean; why?: string } };
}

const POLL_MS = 1000;
const SWEEP_MS = 15_000;

function eventOf(entry: ApprovalHistoryEntry, request: ApprovalRequest): ApprovalEvent {
  return { type: `approval.${entry.event.replace('-', '_')}` as ApprovalEvent['type'], at: entry.at, actor: entry.by, reason: entry.reason, request };
}

/**
 * Just-in-time approvals: opens a request for a push the policy holds, lets approvers decide it,
 * tells waiting pushes, delivers quarantined pushes once approved, and gives an approved
 * request's approvals to the policy when the same commits are pushed again (once).
 */
export class ApprovalService {
  private readonly changes = new EventEmitter();
  private readonly listeners: ApprovalEventListener[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly forwarding = new Set<Promise<void>>();
  private forwarder: QuarantineForwarder | undefined;
  /** Aborted when the gateway starts shutting down: waits for a decision end at once. */
  private readonly waitsEnding = new AbortController();

  constructor(
    readonly store: ApprovalStore,
    readonly settings: ApprovalSettings,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.changes.setMaxListeners(0);
    setMaxListeners(Number.POSITIVE_INFINITY, this.waitsEnding.signal);
  }

  /** Creates the store, turns pushes held by a previous process into quarantined ones, starts expiry. */
  async start(forwarder?: QuarantineForwarder): Promise<void> {
    this.forwarder = forwarder;
    await this.store.init();
    for (const request of await this.store.list()) {
      // (Requests without quarantined bytes, such as API calls, have nothing to deliver.)
      if (request.delivery === 'held' && !isFinal(request.state) && (await this.store.quarantineSize(request.id)) !== undefined) {
        const quarantined = await this.change(request.id, (r) => machine.markQuarantined(r, 'the gateway restarted while the push was held', this.clock()));
        // Approved while held, but the holding connection died with the process: deliver it now.
        if (quarantined.state === 'approved') this.deliver(quarantined.id);
      }
    }
    this.sweepTimer = setInterval(() => void this.sweep().catch((error: unknown) => this.logger.warn({ err: error }, 'approval expiry sweep failed')), SWEEP_MS);
    this.sweepTimer.unref();
  }

  /**
   * The gateway is shutting down: every wait for a decision returns the request as it is now, so
   * that held pushes end their hold (their bytes stay quarantined and are delivered once approved,
   * by whichever gateway process runs then) and nothing keeps the shutdown waiting.
   */
  endWaits(): void {
    this.waitsEnding.abort();
  }

  /** True once `endWaits` was called: a wait that ended undecided ended for the shutdown. */
  get waitsEnded(): boolean {
    return this.waitsEnding.signal.aborted;
  }

  /** Stops the sweep and waits for deliveries in flight. */
  async close(): Promise<void> {
    this.endWaits();
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    await Promise.allSettled([...this.forwarding]);
    this.forwarder?.stop?.();
  }

  /** Every state change, after it is stored. Returns the unsubscribe function. */
  onEvent(listener: ApprovalEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  urlOf(id: string): string {
    return `${this.settings.publicUrl().replace(/\/+$/, '')}/ui/approvals/${id}`;
  }

  /** Opens a request for a push (quarantining its bytes); returns it stored. */
  async create(input: NewApprovalRequest): Promise<ApprovalRequest> {
    const now = this.clock();
    const id = newApprovalId();
    const pusher: ApprovalRequest['pusher'] = {
      ...machine.actorOf(input.pusher),
      kind: input.pusher.kind,
      groups: [...input.pusher.groups],
    };
    const at = now.toISOString();
    const groups = [...machine.requiredGroups({ requirements: input.requirements })].map(([g, n]) => `${n} of ${g}`).join(', ');
    const request: ApprovalRequest = {
      id,
      fingerprint: approvalFingerprint({ repository: input.repository, pusher: input.pusher, refs: input.refs }),
      state: 'pending',
      created_at: at,
      updated_at: at,
      expires_at: new Date(now.getTime() + this.settings.expirySeconds * 1000).toISOString(),
      repository_path: input.repositoryPath,
      repository: input.repository,
      upstream: input.upstream,
      pusher,
      refs: input.refs,
      commits: input.commits,
      files: input.files,
      findings: input.findings,
      requirements: input.requirements,
      policy_decision_id: input.policyDecisionId,
      policy_reasons: input.policyReasons,
      approvals: [],
      delivery: input.delivery,
      url: this.urlOf(id),
      history: [{ event: 'requested', at, by: machine.actorOf(input.pusher), reason: `needs approval by ${groups}`, state: 'pending' }],
    };
    if (input.quarantine !== undefined) await this.store.writeQuarantine(id, input.quarantine);
    await this.store.writeContents(id, input.fileContents);
    await this.store.create(request);
    this.emit(undefined, request);
    // The same commits pushed again while an earlier push of them waits in quarantine: approvers
    // see one request, the newest.
    for (const older of await this.store.byFingerprint(request.fingerprint)) {
      if (older.id === id || older.state !== 'pending' || older.delivery !== 'quarantined') continue;
      await this.change(older.id, (r) => machine.cancel(r, GATEWAY_ACTOR, `superseded by ${id}: the same commits were pushed again`, this.clock())).catch(() => undefined);
    }
    return request;
  }

  /** Requests matching `filter`, newest first (expired ones marked as such). */
  async list(filter: ApprovalListFilter = {}): Promise<ApprovalRequest[]> {
    const states = filter.state === undefined ? undefined : Array.isArray(filter.state) ? filter.state : [filter.state];
    const out: ApprovalRequest[] = [];
    for (let request of await this.store.list()) {
      if (machine.isExpired(request, this.clock())) request = await this.change(request.id, (r) => machine.expire(r, this.clock()));
      if (states !== undefined && !states.includes(request.state)) continue;
      if (filter.repository !== undefined && request.repository !== filter.repository && request.repository_path !== filter.repository) continue;
      if (filter.groups !== undefined && !request.requirements.some((r) => filter.groups!.includes(r.group))) continue;
      out.push(request);
      if (filter.limit !== undefined && out.length >= filter.limit) break;
    }
    return out;
  }

  /** One request; APPROVAL_NOT_FOUND when there is none. */
  async get(id: string): Promise<ApprovalRequest> {
    const request = await this.store.get(id);
    if (request === undefined) throw new ApprovalError('APPROVAL_NOT_FOUND', `there is no approval request ${id}`);
    if (machine.isExpired(request, this.clock())) return this.change(id, (r) => machine.expire(r, this.clock()));
    return request;
  }

  /** A request with what `viewer` may do: for the request page of the web UI. */
  async detail(id: string, viewer: ApproverIdentity | undefined): Promise<ApprovalDetail> {
    const request = await this.get(id);
    const counts = machine.approverCounts(request);
    const progress = [...machine.requiredGroups(request)].map(([group, required]) => ({ group, required, given: counts.get(group) ?? 0 }));
    const check = (step: () => unknown): { allowed: boolean; why?: string } => {
      try {
        step();
        return { allowed: true };
      } catch (error) {
        return { allowed: false, why: (error as Error).message };
      }
    };
    const now = this.clock();
    const anonymous = (): never => {
      throw new ApprovalError('APPROVAL_UNAUTHENTICATED', 'log in to decide');
    };
    return {
      request,
      progress,
      can: {
        approve: check(() => (viewer === undefined ? anonymous() : machine.approve(request, viewer, '', now))),
        deny: check(() => (viewer === undefined ? anonymous() : machine.deny(request, viewer, 'check', now))),
      },
    };
  }

  /** Old and new text of the changed text files (masked), for a diff; [] when none were kept. */
  async fileContents(id: string): Promise<ApprovalFileContent[]> {
    await this.get(id);
    return this.store.readContents(id);
  }

  approve(id: string, approver: ApproverIdentity, reason: string | undefined): Promise<ApprovalRequest> {
    return this.change(id, (r) => machine.approve(r, approver, reason, this.clock()));
  }

  deny(id: string, approver: ApproverIdentity, reason: string): Promise<ApprovalRequest> {
    return this.change(id, (r) => machine.deny(r, approver, reason, this.clock()));
  }

  /** The pusher withdraws the request, or an approver of its groups drops it. */
  cancel(id: string, by: ApproverIdentity, reason: string): Promise<ApprovalRequest> {
    return this.change(id, (r) => {
      const isPusher = r.pusher.subject === by.subject && r.pusher.issuer === by.issuer;
      if (!isPusher && ![...machine.requiredGroups(r).keys()].some((g) => by.groups.includes(g))) {
        throw new ApprovalError('APPROVAL_FORBIDDEN', `only the pusher or a member of ${[...machine.requiredGroups(r).keys()].join(' or ')} can cancel ${r.id}`);
      }
      return machine.cancel(r, machine.actorOf(by), reason, this.clock());
    });
  }

  /**
   * Resolves with the request once it is no longer pending, or as it is (check `state`) after
   * `timeoutMs`, when `callerSignal` aborts or when the gateway shuts down (`endWaits`). Sees
   * decisions of this process at once and those of other processes within a second.
   */
  async waitForDecision(id: string, timeoutMs: number, callerSignal?: AbortSignal): Promise<ApprovalRequest> {
    let request = await this.get(id);
    if (request.state !== 'pending') return request;
    const deadline = Date.now() + timeoutMs;
    const signals = [this.waitsEnding.signal, ...(callerSignal === undefined ? [] : [callerSignal])];
    while (request.state === 'pending' && Date.now() < deadline && !signals.some((s) => s.aborted)) {
      const wait = Math.min(POLL_MS, deadline - Date.now(), Date.parse(request.expires_at) - this.clock().getTime() + 5);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.changes.off(id, done);
          for (const s of signals) s.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(wait, 0));
        this.changes.on(id, done);
        for (const s of signals) s.addEventListener('abort', done);
      });
      request = await this.get(id);
    }
    return request;
  }

  /** Every request made for exactly these commits (a fingerprint), oldest first, expiry applied; no scan of the store. */
  async byFingerprint(fingerprint: string): Promise<ApprovalRequest[]> {
    const out: ApprovalRequest[] = [];
    for (const request of await this.store.byFingerprint(fingerprint)) {
      out.push(machine.isExpired(request, this.clock()) ? await this.change(request.id, (r) => machine.expire(r, this.clock())) : request);
    }
    return out;
  }

  /**
   * The approvals to give the policy for a push with this fingerprint: those of an approved,
   * unused, unexpired request bound to exactly these commits, else [].
   */
  async grantedFor(fingerprint: string): Promise<{ request: ApprovalRequest; granted: GrantedApproval[] } | undefined> {
    for (let request of await this.store.byFingerprint(fingerprint)) {
      if (machine.isExpired(request, this.clock())) request = await this.change(request.id, (r) => machine.expire(r, this.clock()));
      if (request.state === 'approved' && request.fingerprint === fingerprint) return { request, granted: machine.grantedApprovalsOf(request) };
    }
    return undefined;
  }

  /** Spends an approved request (single use); throws APPROVAL_ALREADY_USED when someone else did. */
  async markUsed(id: string, how: string): Promise<ApprovalRequest> {
    const used = await this.change(id, (r) => machine.markUsed(r, how, this.clock()));
    await this.store.removeQuarantine(id);
    return used;
  }

  /**
   * The hold of a push ended without a decision (time out or the client left): from now on the push
   * waits in quarantine, and is forwarded by gitgate when approved. Returns the request as it is: if
   * it was approved meanwhile, the caller still delivers it.
   */
  async endHold(id: string, reason: string): Promise<ApprovalRequest> {
    const request = await this.change(id, (r) => (r.state === 'pending' ? machine.markQuarantined(r, reason, this.clock()) : r));
    return request;
  }

  /** Marks expired requests; runs every 15 s and on demand. */
  async sweep(): Promise<void> {
    await this.list({ state: ['pending', 'approved'] });
  }

  /** Applies a state change atomically, then tells waiters and listeners, then delivers if due. */
  private async change(id: string, step: (request: ApprovalRequest) => ApprovalRequest): Promise<ApprovalRequest> {
    let before: ApprovalRequest | undefined;
    const after = await this.store.update(id, (current) => {
      before = current;
      return step(current);
    });
    if (before !== undefined && after !== before) {
      this.emit(before, after);
      if (isFinal(after.state) && after.state !== 'used') await this.store.removeQuarantine(after.id).catch(() => undefined);
    }
    return after;
  }

  private emit(before: ApprovalRequest | undefined, after: ApprovalRequest): void {
    this.changes.emit(after.id);
    for (const entry of after.history.slice(before?.history.length ?? 0)) {
      const event = eventOf(entry, after);
      for (const listener of this.listeners) {
        try {
          listener(event);
        } catch (error) {
          this.logger.warn({ err: error, approval_id: after.id }, 'approval event listener failed');
        }
      }
    }
    if (after.state === 'approved' && before?.state === 'pending' && after.delivery === 'quarantined') this.deliver(after.id);
  }

  /** Forwards a quarantined, approved push (in the background; the result lands on the request). */
  private deliver(id: string): void {
    const forwarder = this.forwarder;
    if (forwarder === undefined) return;
    const task = (async () => {
      const body = await this.store.readQuarantine(id);
      if (body === undefined) {
        this.logger.info({ approval_id: id }, 'approved request has no quarantined push to forward (an API call, or delivered already)');
        return;
      }
      let claimed: ApprovalRequest;
      try {
        claimed = await this.change(id, (r) => machine.markUsed(r, 'gitgate forwards the quarantined push', this.clock()));
      } catch (error) {
        body.destroy();
        this.logger.info({ approval_id: id, code: (error as ApprovalError).code }, 'quarantined push not forwarded: the approval was used already');
        return;
      }
      let result: ForwardResult;
      try {
        result = await forwarder.forward(claimed, body);
      } catch (error) {
        result = { at: this.clock().toISOString(), outcome: 'failed', detail: [(error as Error).message] };
      } finally {
        body.destroy();
      }
      this.logger.info({ approval_id: id, outcome: result.outcome, detail: result.detail }, 'quarantined push forwarded');
      if (result.outcome === 'failed') {
        await this.change(id, (r) => machine.releaseAfterFailedForward(r, result));
        return;
      }
      await this.change(id, (r) => machine.recordForward(r, result));
      await this.store.removeQuarantine(id);
    })().catch((error: unknown) => this.logger.error({ err: error, approval_id: id }, 'delivering a quarantined push failed'));
    const tracked = task.finally(() => this.forwarding.delete(tracked));
    this.forwarding.add(tracked);
  }
}

export { GATEWAY_ACTOR };
