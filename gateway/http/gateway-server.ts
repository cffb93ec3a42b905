import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { ReceivePackRequest } from '../../pack-parser/index.js';
import type { FetchInput, Identity, PolicyEngine, RequestInfo } from '../../rego/index.js';
import { INPUT_VERSION } from '../../rego/index.js';
import type { ApprovalService } from '../approvals/approval-service.js';
import { holdPushForApproval } from '../approvals/push-hold.js';
import { advertisedRefs, AuditError, decisionLogEntry, OutcomeChecks, recordPushIntent, recordPushResult, RequestAuditTrail, type AuditLog, type AuditPackStore, type ForwardOutcome, type PushIntent } from '../audit/index.js';
import type { GatewayConfig } from '../config/config-types.js';
import { authenticate } from '../identity/authenticate.js';
import type { TokenStore } from '../identity/token-store.js';
import type { OidcVerifier } from '../identity/oidc-verifier.js';
import { PushError } from '../push/errors.js';
import { forwardFailureNotice, watchDelivery } from '../push/forward-failure.js';
import { decidePush, requestInfo, requestReference, type PushGateDependencies, type PushOutcome } from '../push/push-gate.js';
import type { ReceivedPush } from '../push/receive-pack-intake.js';
import { everyRefRejected } from '../push/report-status.js';
import type { SecretMasker, SecretScanner } from '../secrets/index.js';
import { UpstreamError } from '../upstream/errors.js';
import { protocolVersionOf, sanitizeGitProtocol, type UpstreamRequest } from '../upstream/git-upstream.js';
import { resolveRepository, type ResolvedRepository } from '../upstream/repository-resolver.js';
import { upstreamFor } from '../upstream/upstream-for.js';
import { UpstreamMirrors } from '../upstream/upstream-mirror.js';
import { NO_CACHE, relayAnswer } from './answer-relay.js';
import { ClientIdleWatch } from './client-idle-watch.js';
import { PushAdmission } from './push-admission.js';
import { loadTlsCertificate, ServedTlsCertificate, type TlsCertificate, type TlsReloadResult } from './tls-certificate.js';
import type { GatewayHttpHandler } from './http-handler.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { OperationsHandler } from './operations-handler.js';
import { routeOf, type SmartHttpRoute } from './smart-http-route.js';

export interface GatewayDependencies {
  config: GatewayConfig;
  tokens: TokenStore;
  oidc: OidcVerifier[];
  policy: PolicyEngine;
  scanner: SecretScanner;
  masker: SecretMasker;
  logger: Logger;
  /** Served before git smart HTTP, in order; see GatewayHttpHandler. */
  handlers?: GatewayHttpHandler[];
  /** The tamper-evident audit log (gateway/audit); startGateway always sets it. */
  audit?: AuditLog;
  /** Where pushed packs are kept for replay (gateway/audit); none: packs are not kept. */
  auditPacks?: AuditPackStore;
  /** Just-in-time approvals (gateway/approvals); without it, pushes needing approval are refused. */
  approvals?: ApprovalService;
  /** Prometheus metrics (served at /metrics); the server makes its own when none is given. */
  metrics?: GatewayMetrics;
  /** The certificate of `config.tls`, already loaded (startGateway loads it first); else loaded here. */
  tlsCertificate?: TlsCertificate;
  /** How often the TLS certificate's files are checked for a change. Default 60 s. */
  tlsCheckIntervalMs?: number;
  /** When a forward with an unknown outcome is checked upstream (OutcomeChecks). Default OUTCOME_CHECK_AFTER_MS. */
  outcomeCheckAfterMs?: readonly number[];
}

/** What `GatewayServer.close` did: the requests it found in flight, those it cut, how long it took. */
export interface ShutdownReport {
  inFlightAtStart: number;
  cut: number;
  waitedMs: number;
}

/** After cutting their connections, how long a shutdown waits for the cut requests' last records. */
const CUT_REQUESTS_SETTLE_MS = 5_000;

/** Resolves when all the promises have settled, after `ms`, or when `stop` aborts, whichever is first. */
function settledOrTimeout(promises: Promise<unknown>[], ms: number, stop?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stop?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(ms, 0));
    stop?.addEventListener('abort', done);
    void Promise.allSettled(promises).then(done);
  });
}

/** git shows a text/plain error body to the user (`remote: ...` or after `fatal:`). */
function sendText(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...NO_CACHE, ...headers });
  response.end(`${message}\n`);
}

/** The gitgate smart-HTTP gateway: authenticate, route to the configured upstream, decide, relay. */
export class GatewayServer {
  readonly server: Server;
  private readonly mirrors: UpstreamMirrors;
  /** What the push gate needs: the dependencies, with the spool directory of the kept packs. */
  private readonly pushGate: PushGateDependencies;
  /** The audit events of each git request in flight. */
  private readonly trails = new WeakMap<ServerResponse, RequestAuditTrail>();
  /** Every request being handled (any handler), with its response: what a shutdown waits for. */
  private readonly inFlight = new Map<Promise<void>, ServerResponse>();
  /** Set when the shutdown begins: connections are closed after their request (see `close`). */
  private drainingSince: number | undefined;
  /** Aborted when a shutdown cuts the requests left: stops their upstream requests too. */
  private readonly cutting = new AbortController();
  readonly metrics: GatewayMetrics;
  /** Asked in order before git: /healthz, /readyz and /metrics first, then the configured ones. */
  private readonly handlers: readonly GatewayHttpHandler[];
  /** Cuts requests whose client stopped sending their body (`timeouts.client_idle_seconds`). */
  private readonly clientIdle: ClientIdleWatch;
  /** Forwards whose upstream failed before answering, once it had the whole push: asked about later. */
  private readonly outcomeChecks: OutcomeChecks;
  /** Requests cut by `clientIdle`: already recorded, so their handler's failure is not recorded again. */
  private readonly cutIdle = new WeakSet<IncomingMessage>();
  /** How many pushes are handled at once, receiving to answer (`limits.concurrent_pushes`). */
  private readonly pushAdmission: PushAdmission;
  /** The certificate being served, kept current as its files are renewed. */
  private readonly tls: ServedTlsCertificate | undefined;

  constructor(private readonly deps: GatewayDependencies) {
    // Every upstream request in flight listens to it.
    setMaxListeners(Number.POSITIVE_INFINITY, this.cutting.signal);
    this.pushAdmission = new PushAdmission(deps.config.operations.concurrentPushes);
    this.metrics = deps.metrics ?? new GatewayMetrics({ requestsInFlight: () => this.requestsInFlight, draining: () => this.draining, pushes: () => this.pushes });
    this.handlers = [new OperationsHandler(deps.config.operations, this.metrics, { draining: () => this.draining }), ...(deps.handlers ?? [])];
    this.mirrors = new UpstreamMirrors(join(deps.config.dataDir, 'mirrors'));
    const packs = deps.auditPacks;
    // Large pushes spool beside the kept packs, so that keeping one is a link, not a copy.
    this.pushGate = packs === undefined ? deps : { ...deps, spoolDirectory: () => packs.spoolDirectory() };
    this.clientIdle = new ClientIdleWatch(deps.config.operations.clientIdleSeconds * 1000);
    this.outcomeChecks = new OutcomeChecks(deps.logger, deps.outcomeCheckAfterMs);
    const listener: RequestListener = (request, response) => {
      // A request that comes on an open connection during the shutdown is served, but its
      // connection is not reused: the client's next request goes to a new one (another replica).
      if (this.drainingSince !== undefined) response.setHeader('connection', 'close');
      this.clientIdle.watch(request, () => this.cutIdleClient(request, response));
      // Counted in flight before it starts (a scrape of /metrics sees itself).
      const handled = Promise.resolve().then(() => this.handle(request, response)).catch((error: unknown) => {
        if (clientLeft(request)) {
          // Whatever failed, it failed because the body stopped: nothing of it goes upstream.
          if (this.cutIdle.has(request)) return;
          const message = 'the client closed the connection before its request was complete; nothing of it was applied';
          this.trails.get(response)?.note('error', { code: 'CLIENT_DISCONNECTED', message });
          deps.logger.info({ url: request.url, code: 'CLIENT_DISCONNECTED', reason: (error as Error).message }, 'client left before its request was complete');
          return;
        }
        if (error instanceof AuditError) {
          // Fail closed: what cannot be recorded is not done.
          deps.logger.error({ err: error, url: request.url }, 'request refused: the audit log failed');
          sendText(response, 503, `gitgate: this request cannot be recorded in the audit log (${error.code}), so it was refused; nothing was applied. Tell the gitgate operators.`);
          return;
        }
        const trail = this.trails.get(response);
        trail?.note('error', { code: 'INTERNAL', message: (error as Error).message });
        deps.logger.error({ err: error, url: request.url, request_id: trail?.requestId }, 'request failed');
        const reference = trail === undefined ? '' : ` (request ${trail.requestId})`;
        sendText(response, 500, `gitgate: internal error${reference}; the operators have the details in the gateway log`);
      });
      this.inFlight.set(handled, response);
      void handled.finally(() => this.inFlight.delete(handled));
    };
    const { tls } = deps.config;
    if (tls === undefined) this.server = createServer(listener);
    else {
      const certificate = deps.tlsCertificate ?? loadTlsCertificate(tls);
      const server = createTlsServer({ cert: certificate.cert, key: certificate.key }, listener);
      this.server = server;
      this.tls = new ServedTlsCertificate(tls, certificate, (loaded) => server.setSecureContext({ cert: loaded.cert, key: loaded.key }), (result) => this.reportTlsReload(result), deps.tlsCheckIntervalMs);
      this.metrics.tlsCertificate(certificate.notAfter);
    }
    // node cuts a request whose body takes over 5 minutes to arrive: a large push on a slow link.
    // The client idle watch bounds a stalled client instead; headersTimeout still bounds headers.
    this.server.requestTimeout = 0;
  }

  async listen(port = this.deps.config.listen.port, host = this.deps.config.listen.host): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  /** True once the shutdown has begun (the readiness check answers 503 from then on). */
  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Pushes being handled (received, decided, forwarded), and pushes waiting for their turn. */
  get pushes(): { admitted: number; queued: number } {
    return { admitted: this.pushAdmission.admitted, queued: this.pushAdmission.queued };
  }

  /** How many requests are being handled now. */
  get requestsInFlight(): number {
    return this.inFlight.size;
  }

  /**
   * Shuts the server down: stops accepting connections, closes idle ones, and lets the requests in
   * flight finish (a push being forwarded relays the upstream's report) for up to `graceMs`, or
   * until `force` aborts. Requests still running then have their connections cut; they end as a
   * cut connection ends (a push not yet forwarded goes nowhere; the audit records each).
   */
  async close(graceMs = 0, force?: AbortSignal): Promise<ShutdownReport> {
    this.drainingSince ??= Date.now();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // Responses not yet begun close their connection once sent.
    for (const response of this.inFlight.values()) if (!response.headersSent) response.setHeader('connection', 'close');
    const waiting = this.inFlight.size;
    if (waiting > 0) this.deps.logger.info({ in_flight: waiting, grace_seconds: graceMs / 1000 }, 'shutting down: waiting for the requests in flight');
    const deadline = Date.now() + graceMs;
    while (this.inFlight.size > 0 && Date.now() < deadline && force?.aborted !== true) {
      await settledOrTimeout([...this.inFlight.keys()], deadline - Date.now(), force);
    }
    const cut = this.inFlight.size;
    if (cut > 0) {
      this.deps.logger.warn({ cut, grace_seconds: graceMs / 1000, forced: force?.aborted === true }, 'shutting down: cutting the requests still in flight');
      this.cutting.abort(new UpstreamError('UPSTREAM_REQUEST_CUT', 'gitgate shut down before the upstream answered'));
      this.server.closeAllConnections();
      // What the cut requests still record goes into the audit log before it closes.
      await settledOrTimeout([...this.inFlight.keys()], CUT_REQUESTS_SETTLE_MS);
    }
    this.server.closeAllConnections();
    await closed;
    this.clientIdle.stop();
    this.outcomeChecks.stop();
    this.tls?.stop();
    return { inFlightAtStart: waiting, cut, waitedMs: Date.now() - this.drainingSince };
  }

  /**
   * Reads the TLS certificate and key again and serves them to new connections; a pair that cannot
   * be served is refused and the one being served stays (see ServedTlsCertificate). On SIGHUP;
   * undefined without TLS.
   */
  reloadTlsCertificate(): TlsReloadResult | undefined {
    return this.tls?.reload();
  }

  private reportTlsReload(result: TlsReloadResult): void {
    if (result.status === 'failed') {
      this.metrics.tlsReload('failed');
      this.deps.logger.error({ code: result.error.code, reason: result.message, served: result.served.fingerprint256 }, 'TLS certificate not reloaded; still serving the previous one');
      return;
    }
    const { certificate } = result;
    this.metrics.tlsReload('ok');
    this.metrics.tlsCertificate(certificate.notAfter);
    this.deps.logger.info({ subject: certificate.subject, not_after: certificate.notAfter.toISOString(), fingerprint: certificate.fingerprint256 }, 'TLS certificate reloaded');
  }

  /** The client stopped sending its request's body: answer 408 if nothing was sent yet, and close. */
  private cutIdleClient(request: IncomingMessage, response: ServerResponse): void {
    this.cutIdle.add(request);
    const seconds = this.clientIdle.idleMs / 1000;
    const message = `no bytes of the request arrived for ${seconds} s, so gitgate closed the connection; nothing of it was applied`;
    this.trails.get(response)?.note('error', { code: 'CLIENT_IDLE_TIMEOUT', message });
    this.deps.logger.warn({ url: request.url, code: 'CLIENT_IDLE_TIMEOUT', idle_seconds: seconds }, 'client stopped sending its request; connection closed');
    // The request is ended by hand: once a response has finished, node no longer ends a request
    // whose connection closes, and its handler would wait for the rest of the body forever.
    const cut = (): void => {
      request.destroy(Object.assign(new Error(message), { code: 'CLIENT_IDLE_TIMEOUT' }));
      request.socket.destroy();
    };
    if (response.headersSent) {
      cut();
      return;
    }
    response.writeHead(408, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    response.end(`gitgate: ${message} (CLIENT_IDLE_TIMEOUT)\n`, cut);
    // A client that reads nothing either: the answer is not waited for.
    setTimeout(cut, 1000).unref();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { logger } = this.deps;
    const url = new URL(request.url ?? '/', 'http://gateway.invalid');
    const method = request.method ?? 'GET';
    const handler = this.handlers.find((candidate) => candidate.claims(method, url));
    if (handler !== undefined) {
      await handler.handle(request, response, url);
      return;
    }
    const route = routeOf(request.method ?? 'GET', request.url ?? '/');
    if (!('service' in route)) {
      sendText(response, route.status, `gitgate: ${route.message}`);
      return;
    }
    response.once('close', () => this.metrics.gitRequest(route.service, route.phase, response.writableFinished ? String(response.statusCode) : 'cut'));
    const info = requestInfo(request.socket.remoteAddress, request.headers['user-agent']);
    // The id of the request's audit events (gitgate audit show <id>), for a user to quote.
    response.setHeader('x-request-id', info.id);
    const trail = new RequestAuditTrail(this.deps.audit, info.id, logger);
    this.trails.set(response, trail);
    trail.note('request.received', { method, path: url.pathname, service: route.service, phase: route.phase, remote_address: info.remote_address, user_agent: info.user_agent });
    const auth = await authenticate(request.headers.authorization, this.deps.tokens, this.deps.oidc);
    if (auth.ok) trail.identify(auth.identity);
    trail.note('authentication', auth.ok ? { ok: true, method: auth.identity.authentication } : { ok: false, reason: auth.reason });
    if (!auth.ok) {
      logger.info({ url: request.url, reason: auth.reason }, 'unauthenticated request refused');
      sendText(response, 401, auth.message, { 'www-authenticate': 'Basic realm="gitgate", charset="UTF-8"' });
      return;
    }
    const repository = resolveRepository(this.deps.config, route.repositoryPath);
    if (repository === undefined) {
      trail.note('error', { code: 'REPOSITORY_NOT_SERVED', message: `repository '${route.repositoryPath}' is not served here` });
      logger.info({ repository: route.repositoryPath, subject: auth.identity.subject }, 'unknown repository refused');
      sendText(response, 404, `gitgate: repository '${route.repositoryPath}' is not served here: no configured upstream allows it`);
      return;
    }
    trail.setRepository(repository.name);
    const upstreamRequest: UpstreamRequest = {
      gitProtocol: sanitizeGitProtocol(firstHeader(request.headers['git-protocol'])),
      userAgent: firstHeader(request.headers['user-agent']),
      signal: this.cutting.signal,
    };
    const log = logger.child({ request_id: info.id, subject: auth.identity.subject, repository: repository.path, service: route.service, phase: route.phase });
    // Every ref advertisement reveals the refs, whichever service asks: it is a read.
    const isRead = route.service === 'git-upload-pack' || route.phase === 'advertisement';
    try {
      if (isRead) await this.serveRead(request, response, route, repository, auth.identity, info, upstreamRequest, log);
      else await this.handlePush(request, response, repository, auth.identity, info, upstreamRequest, log);
    } catch (error) {
      // An upload-pack body cut by its client fails the upstream request too: not the upstream's fault.
      if (error instanceof UpstreamError && !clientLeft(request)) {
        this.metrics.upstreamError(repository.upstream.name, error.code);
        trail.note('error', { code: error.code, message: error.message });
        log.warn({ code: error.code, err: error }, 'upstream failed');
        sendText(response, 502, `gitgate: the upstream of '${repository.path}' failed: ${error.message} (${error.code}). Try again later; if it persists, tell the gitgate operators (request ${info.id}).`);
        return;
      }
      throw error;
    }
  }

  private async fetchAllowed(
    route: SmartHttpRoute,
    repository: ResolvedRepository,
    identity: Identity,
    info: RequestInfo,
    upstreamRequest: UpstreamRequest,
    response: ServerResponse,
    log: Logger,
  ): Promise<boolean> {
    const input: FetchInput = {
      version: INPUT_VERSION,
      kind: 'fetch',
      request: info,
      identity,
      repository: { name: repository.name, upstream: repository.upstreamUrl, default_branch: repository.defaultBranch },
      fetch: { phase: route.phase === 'advertisement' ? 'advertisement' : 'upload', protocol_version: protocolVersionOf(upstreamRequest.gitProtocol) },
    };
    const decision = await this.deps.policy.evaluate('fetch', input);
    this.metrics.fetchDecision(decision.result.allow);
    // Durable before anything is served (and with it every earlier event of the request).
    await this.trails.get(response)?.record('policy.decision', decisionLogEntry(decision, input));
    log.info({ decision_id: decision.decision_id, allow: decision.result.allow, deny: decision.result.deny.map((d) => d.code) }, 'fetch decided');
    if (decision.result.allow) return true;
    const reasons = [...decision.result.deny.map((d) => `${d.code}: ${d.message}`), ...decision.result.approvals.map((a) => `needs approval by ${a.group}: ${a.reason}`)];
    sendText(response, 403, `gitgate refused this fetch:\n${reasons.join('\n')}\n${requestReference(info.id)}`);
    return false;
  }

  /**
   * A read (a ref advertisement or an upload-pack). Reads change nothing upstream, so the upstream
   * is asked at once and the policy decides meanwhile: its answer is relayed only once the fetch is
   * allowed and the decision is on disk. A refusal, or a decision that cannot be recorded, aborts
   * the upstream request with nothing of it served.
   */
  private async serveRead(
    request: IncomingMessage,
    response: ServerResponse,
    route: SmartHttpRoute,
    repository: ResolvedRepository,
    identity: Identity,
    info: RequestInfo,
    upstreamRequest: UpstreamRequest,
    log: Logger,
  ): Promise<void> {
    const abort = new AbortController();
    const asking = { ...upstreamRequest, signal: abort.signal };
    const upload = route.phase !== 'advertisement';
    const encoding = firstHeader(request.headers['content-encoding']);
    const answer = upload
      ? upstreamFor(repository).rpc('git-upload-pack', request, { ...asking, contentEncoding: encoding, contentLength: declaredContentLength(request) })
      : upstreamFor(repository).advertise(route.service, asking);
    // Until it is relayed, the answer may be dropped: its errors must not go unhandled meanwhile.
    answer.then((upstream) => upstream.body.on('error', () => {}), () => {});
    let allowed = false;
    try {
      allowed = await this.fetchAllowed(route, repository, identity, info, upstreamRequest, response, log);
    } finally {
      if (!allowed) {
        // After the refusal is sent: aborting may close the connection the client's request came on.
        if (response.writableFinished) abort.abort();
        else response.once('close', () => abort.abort());
      }
    }
    if (!allowed) return;
    const upstream = await answer;
    const { bytes, interrupted } = await relayAnswer(upstream, response, this.deps.logger);
    this.metrics.served(route.service, bytes);
    const protocolVersion = protocolVersionOf(upstreamRequest.gitProtocol);
    if (upload) log.info({ bytes, protocol_version: protocolVersion }, 'fetch served');
    const brokeOff = interrupted === undefined ? {} : { error: interrupted };
    this.trails.get(response)?.note(
      'fetch.served',
      upload
        ? { service: 'git-upload-pack', phase: 'upload', status: upstream.status, bytes, protocol_version: protocolVersion, ...brokeOff }
        : { service: route.service, phase: 'advertisement', status: upstream.status, bytes, ...brokeOff },
    );
  }

  /** A forward the upstream may have applied without answering: ask it later where the refs are. */
  private checkUnknownOutcome(result: ForwardOutcome, trail: RequestAuditTrail, push: ReceivedPush, repository: ResolvedRepository): void {
    if (result.nothingApplied !== false) return;
    const commands = push.request.commands.map((c) => ({ ref: c.ref, old: c.oldId, new: c.newId }));
    this.outcomeChecks.schedule({ trail, commands, askRefs: () => advertisedRefs(repository) });
  }

  /** Counts the push by what the gate decided, with its stage times and pack size. */
  private observePushOutcome(outcome: PushOutcome): void {
    if (outcome.kind === 'forward') this.metrics.push('allowed');
    else if (outcome.kind === 'approval') this.metrics.push('approval');
    else if (outcome.decision === undefined && outcome.error !== undefined) this.metrics.push('invalid', [outcome.error.code]);
    else this.metrics.push('denied', outcome.decision?.result.deny.map((d) => d.code) ?? []);
    this.metrics.pushStage('receive', outcome.timings?.receiveMs);
    this.metrics.pushStage('inspect', outcome.timings?.inspectMs);
    this.metrics.pushStage('policy', outcome.timings?.policyMs);
    if ('push' in outcome && outcome.push.pack !== null) this.metrics.pushedPack(outcome.push.pack.size);
  }

  /**
   * Waits for the push's turn to be received (`limits.concurrent_pushes`), its bytes left unread
   * meanwhile. Returns what ends the turn; undefined when no turn came within
   * `limits.push_queue_seconds`, after answering 503, or when the client left (or the gateway shut
   * down) meanwhile, after recording it.
   */
  private async awaitPushTurn(request: IncomingMessage, response: ServerResponse, log: Logger): Promise<(() => void) | undefined> {
    const left = new AbortController();
    const onClose = (): void => left.abort();
    response.once('close', onClose);
    const started = performance.now();
    const { pushQueueSeconds } = this.deps.config.operations;
    let endTurn: (() => void) | undefined;
    try {
      endTurn = await this.pushAdmission.enter(pushQueueSeconds * 1000, AbortSignal.any([left.signal, this.cutting.signal]));
    } finally {
      response.off('close', onClose);
    }
    const waitedMs = performance.now() - started;
    if (endTurn !== undefined) {
      if (waitedMs >= 1000) log.info({ waited_ms: Math.round(waitedMs) }, 'push waited for its turn');
      return endTurn;
    }
    if (left.signal.aborted || this.cutting.signal.aborted) {
      // Recorded here: the body may have arrived whole before the connection closed.
      const [code, message] = this.cutting.signal.aborted
        ? ['GATEWAY_SHUTDOWN', 'gitgate shut down while this push waited for its turn; nothing was applied']
        : ['CLIENT_DISCONNECTED', 'the client closed the connection while its push waited for its turn; nothing was applied'];
      this.trails.get(response)?.note('error', { code, message });
      log.info({ code }, 'push ended while it waited for its turn');
      return undefined;
    }
    const message = `gitgate is receiving ${this.pushAdmission.limit} pushes already and this one found no turn within ${pushQueueSeconds} s; nothing was applied. Push again in a moment`;
    this.metrics.push('busy', ['PUSH_CAPACITY']);
    this.trails.get(response)?.note('error', { code: 'PUSH_CAPACITY', message });
    log.warn({ code: 'PUSH_CAPACITY', concurrent_pushes: this.pushAdmission.limit, queued: this.pushAdmission.queued }, 'push refused: no turn within the queue time');
    sendText(response, 503, `gitgate: ${message} (PUSH_CAPACITY)`, { 'retry-after': '10' });
    discardRest(request);
    return undefined;
  }

  /** Fail closed: a push whose records cannot be written goes nowhere; git gets the reason. */
  private refuseUnrecorded(request: IncomingMessage, response: ServerResponse, body: Buffer, error: AuditError, log: Logger): void {
    log.error({ code: error.code, err: error }, 'push refused: the audit log failed');
    sendPushResult(response, body);
    discardRest(request);
  }

  private async handlePush(
    request: IncomingMessage,
    response: ServerResponse,
    repository: ResolvedRepository,
    identity: Identity,
    info: RequestInfo,
    upstreamRequest: UpstreamRequest,
    log: Logger,
  ): Promise<void> {
    const source: Readable = firstHeader(request.headers['content-encoding']) === 'gzip' ? request.pipe(createGunzip()) : request;
    // A push refused while its pack is read is answered before git has sent all of it: the body
    // must not be destroyed with the connection when the reading stops (see discardRest).
    const body: AsyncIterable<Buffer> = source.iterator({ destroyOnReturn: false });
    // An http upstream's mirror is fetched before the first push, later only when the push needs
    // objects it lacks (decidePush asks through refreshObjectStore).
    const mirrorStarted = performance.now();
    let objectStoreGitDir: string;
    let refreshObjectStore: (() => Promise<void>) | undefined;
    if (repository.kind === 'file') objectStoreGitDir = repository.gitDir;
    else if (!this.mirrors.exists(repository)) objectStoreGitDir = await this.mirrors.refresh(repository);
    else {
      objectStoreGitDir = this.mirrors.gitDirOf(repository);
      refreshObjectStore = async () => {
        await this.mirrors.refresh(repository);
      };
    }
    const mirrorMs = performance.now() - mirrorStarted;
    const endTurn = await this.awaitPushTurn(request, response, log);
    if (endTurn === undefined) return;
    // The turn lasts until the push is answered (forwarded, refused, or held): what it decoded
    // stays in memory until then.
    try {
      let outcome: PushOutcome;
      try {
        outcome = await decidePush(body, { repository, objectStoreGitDir, ...(refreshObjectStore === undefined ? {} : { refreshObjectStore }), identity, request: info }, this.pushGate);
      } catch (error) {
        if (error instanceof PushError) {
          this.metrics.push('invalid', [error.code]);
          this.trails.get(response)?.note('error', { code: error.code, message: error.message });
          log.warn({ code: error.code, err: error }, 'push refused: unreadable request');
          sendText(response, 400, `gitgate: ${this.deps.masker.maskString(error.message)}`);
          discardRest(request);
          return;
        }
        throw error;
      }
      this.observePushOutcome(outcome);
      const trail = this.trails.get(response) ?? new RequestAuditTrail(undefined, info.id);
      const recordStarted = performance.now();
      try {
        if (outcome.decision !== undefined) {
          const entry = decisionLogEntry(outcome.decision, outcome.input);
          // An allowed push goes upstream only once its intent is on disk, and the intent's record
          // waits for this event too (and fails if it failed): this write overlaps keeping the pack.
          if (outcome.kind === 'forward') trail.note('policy.decision', entry);
          else await trail.record('policy.decision', entry);
        }
        if (outcome.kind === 'reject' && outcome.error !== undefined) trail.note('error', { code: outcome.error.code, message: outcome.error.message });
      } catch (error) {
        if ('push' in outcome) outcome.push.close();
        if (!(error instanceof AuditError)) throw error;
        // A refusal stays one (with its reasons); anything else is refused for the audit's sake.
        this.refuseUnrecorded(request, response, outcome.kind === 'reject' ? outcome.body : unrecordedPushRejection(outcome.push.request, error), error, log);
        return;
      }
      if (outcome.kind === 'approval' && this.deps.approvals !== undefined) {
        const { push, input, decision, fileContents } = outcome;
        log.info({ decision_id: decision.decision_id, approvals: decision.result.approvals, timings_ms: { mirror: mirrorMs, ...outcome.timings } }, 'push needs approval');
        const recordForward = async (approvalId: string) => {
          const intent = await recordPushIntent({ trail, packs: this.deps.auditPacks, repository, objectStoreGitDir, logger: log, approvalId }, push);
          return async (result: Parameters<typeof recordPushResult>[1]) => {
            await recordPushResult(intent, result);
            this.checkUnknownOutcome(result, trail, push, repository);
          };
        };
        // A hold waits for a human: its turn goes to the next push (the bytes wait in the spool).
        endTurn();
        await holdPushForApproval({ push, input, decision, fileContents, repository, upstreamRequest }, response, { approvals: this.deps.approvals, masker: this.deps.masker, logger: log, recordForward });
        return;
      }
      if (outcome.kind === 'approval') throw new Error('a push needing approval without an approval service');
      if (outcome.kind === 'reject') {
        log.info(
          {
            decision_id: outcome.decision?.decision_id,
            deny: outcome.decision?.result.deny.map((d) => ({ code: d.code, ref: d.ref })),
            error: outcome.error?.code,
            timings_ms: { mirror: mirrorMs, ...outcome.timings },
          },
          'push refused',
        );
        sendPushResult(response, outcome.body);
        discardRest(request);
        return;
      }
      const { push, decision } = outcome;
      log.info(
        { decision_id: decision?.decision_id, refs: push.request.commands.map((c) => c.ref), pack: push.pack, timings_ms: { mirror: mirrorMs, ...outcome.timings, decisionRecordMs: performance.now() - recordStarted } },
        'push allowed; forwarding',
      );
      // The intent is synced before the push goes upstream; the outcome follows (restart reconciles
      // an intent left without one).
      const intentStarted = performance.now();
      let intent: PushIntent;
      try {
        intent = await recordPushIntent({ trail, packs: this.deps.auditPacks, repository, objectStoreGitDir, logger: log, ...(outcome.usedApproval === undefined ? {} : { approvalId: outcome.usedApproval }) }, push);
      } catch (error) {
        push.close();
        if (!(error instanceof AuditError)) throw error;
        this.refuseUnrecorded(request, response, unrecordedPushRejection(push.request, error), error, log);
        return;
      }
      let forwardResult: Parameters<typeof recordPushResult>[1] = { status: null, bytes: 0, response: Buffer.alloc(0), error: { code: 'FORWARD_INTERRUPTED', message: 'the forward ended without an answer' } };
      const forwardStarted = performance.now();
      const forwardBody = push.forwardBody();
      const delivered = watchDelivery(forwardBody);
      try {
        const upstream = await upstreamFor(repository).rpc('git-receive-pack', forwardBody, { ...upstreamRequest, contentLength: push.forwardBodyBytes });
        if (upstream.status >= 400) {
          upstream.body.resume();
          forwardResult = { ...forwardResult, status: upstream.status };
          throw new UpstreamError('UPSTREAM_FAILED', `the upstream answered HTTP ${upstream.status}`);
        }
        const captured: Buffer[] = [];
        const { bytes, interrupted } = await relayAnswer(upstream, response, this.deps.logger, captured);
        forwardResult = { status: upstream.status, bytes, response: Buffer.concat(captured), ...(interrupted === undefined ? {} : { error: interrupted }) };
        const forwardMs = performance.now() - forwardStarted;
        this.metrics.pushStage('forward', forwardMs);
        log.info({ timings_ms: { intentMs: forwardStarted - intentStarted, forwardMs } }, 'push forwarded');
      } catch (error) {
        if (error instanceof Error) forwardResult = { ...forwardResult, error: { code: (error as { code?: string }).code ?? 'ERROR', message: error.message } };
        if (error instanceof UpstreamError) this.metrics.upstreamError(repository.upstream.name, error.code);
        if (!(error instanceof UpstreamError) || response.headersSent) throw error;
        const notice = forwardFailureNotice(error, { delivered: delivered(), status: forwardResult.status }, requestReference(info.id));
        forwardResult = { ...forwardResult, nothingApplied: notice.nothingApplied };
        log.warn({ code: error.code, err: error, nothing_applied: notice.nothingApplied }, 'upstream failed during an allowed push');
        sendPushResult(response, everyRefRejected(push.request, notice.reason, notice.messages));
      } finally {
        // The replay pack is built from the kept pack (for a large push, git indexes it again):
        // the decoded objects need not wait for that.
        push.close();
        await recordPushResult(intent, forwardResult).catch((error: unknown) => log.error({ err: error }, 'push outcome not recorded; restart reconciliation will record it'));
        this.checkUnknownOutcome(forwardResult, trail, push, repository);
      }
    } finally {
      endTurn();
    }
  }
}

/** The request's Content-Length when it has a valid one (and is not chunked): the length of the body as it is forwarded. */
function declaredContentLength(request: IncomingMessage): number | undefined {
  const declared = request.headers['content-length'];
  if (declared === undefined || request.headers['transfer-encoding'] !== undefined || !/^[0-9]{1,15}$/.test(declared)) return undefined;
  return Number(declared);
}

/** receive-pack's answer: a report-status, with its messages on side-band when git asked for it. */
function sendPushResult(response: ServerResponse, body: Buffer): void {
  response.writeHead(200, { 'content-type': 'application/x-git-receive-pack-result', ...NO_CACHE });
  response.end(body);
}

/** A push the audit log cannot record is refused, per ref, so that git shows why. */
function unrecordedPushRejection(request: ReceivePackRequest, error: AuditError): Buffer {
  return everyRefRejected(request, `gitgate: not recorded (${error.code})`, [
    `gitgate: this push cannot be recorded in the audit log (${error.code}), so it was refused; nothing was applied. Tell the gitgate operators.`,
  ]);
}

/** The client's connection closed before its request's body was complete. */
function clientLeft(request: IncomingMessage): boolean {
  return !request.complete && (request.destroyed || request.socket.destroyed);
}

/**
 * Reads and drops what is left of a refused request: git sends its whole request before it reads
 * the answer, so it sees the refusal only once the rest has gone somewhere.
 */
function discardRest(request: IncomingMessage): void {
  if (request.complete) return;
  request.unpipe();
  request.resume();
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
