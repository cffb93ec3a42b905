import { existsSync, statSync } from 'node:fs';
import { PolicyEngine, type DecisionRecord, type PolicyKind, type PolicySource } from '../../rego/index.js';
import {
  AuditError,
  auditEvents,
  auditPackDirectory,
  AuditPackStore,
  isAuditEventType,
  JsonlSegmentStore,
  loadPublicKey,
  materializePush,
  requestEvents,
  summarizeRequests,
  verifyAuditChain,
  type AuditEvent,
  type AuditEventFilter,
} from '../audit/index.js';
import { canonicalJson, toJsonValue } from '../audit/canonical-json.js';
import type { GatewayConfig } from '../config/config-types.js';
import { CliUsageError, booleanOption, stringOption, type Command, type CommandOptions, type ParsedCommandArgs } from './command.js';
import { configFromArgs } from './config-option.js';

const COMMON: CommandOptions = { config: { type: 'string' }, 'audit-dir': { type: 'string' }, json: { type: 'boolean' } };

interface AuditLocation {
  config: GatewayConfig;
  directory: string;
  store: JsonlSegmentStore;
}

/** The audit directory of the config (or `--audit-dir`), which must exist. */
function auditOf(args: ParsedCommandArgs): AuditLocation {
  const config = configFromArgs(args);
  const directory = stringOption(args, 'audit-dir') ?? config.audit.directory;
  if (!existsSync(directory)) throw new CliUsageError(`no audit log at ${directory}: give the gateway's config with --config (or --audit-dir)`);
  return { config, directory, store: new JsonlSegmentStore({ directory }) };
}

function oneRequestId(args: ParsedCommandArgs, count = 1): string[] {
  if (args.positionals.length !== count) throw new CliUsageError(`expected ${count === 1 ? 'a request id' : `${count} arguments`}, got ${args.positionals.length}`);
  return args.positionals;
}

function timeOption(args: ParsedCommandArgs, name: string): string | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  const relative = /^(\d+)([smhd])$/.exec(value);
  if (relative !== null) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(Date.now() - Number(relative[1]) * unit * 1000).toISOString();
  }
  if (Number.isNaN(Date.parse(value))) throw new CliUsageError(`--${name} must be an ISO time (2026-11-24T09:00:00Z) or an age such as 30m, 12h, 7d; got '${value}'`);
  return new Date(value).toISOString();
}

function eventLine(event: AuditEvent): string {
  const who = event.actor?.subject ?? '-';
  const details = JSON.stringify(event.data);
  return `${event.time}  #${event.seq}  ${event.type.padEnd(18)} ${who.padEnd(12)} ${event.repository ?? '-'}  ${details.length > 200 ? `${details.slice(0, 197)}...` : details}\n`;
}

export const auditVerifyCommand: Command = {
  words: ['audit', 'verify'],
  summary: 'Check the audit chain and its signed checkpoints; exit 1 and name the first bad event on tampering',
  usage: '[--from <segment>] [--public-key <pem file>] [--packs] [--config <file>] [--audit-dir <dir>] [--json]\n\n--packs also hashes every kept pack against its name.',
  options: { ...COMMON, from: { type: 'string' }, 'public-key': { type: 'string' }, packs: { type: 'boolean' } },
  async run(args, io) {
    const { config, store, directory } = auditOf(args);
    const keyPath = stringOption(args, 'public-key') ?? `${config.audit.signingKeyFile}.pub`;
    if (!existsSync(keyPath)) throw new CliUsageError(`no public key at ${keyPath}: give the checkpoint public key with --public-key`);
    const from = stringOption(args, 'from');
    const result = await verifyAuditChain(store, loadPublicKey(keyPath), from === undefined ? {} : { fromSegment: from });
    if (booleanOption(args, 'json')) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    else {
      io.stdout(`${result.events} events in ${result.segments} segment(s)${result.firstSeq === null ? '' : `, #${result.firstSeq}..#${result.lastSeq}`}; head ${result.lastHash}\n`);
      io.stdout(`${result.checkpoints} signed checkpoint(s); signed through #${result.signedThrough}${result.unsignedTail > 0 ? `; ${result.unsignedTail} event(s) after the last checkpoint (not yet signed)` : ''}\n`);
    }
    let packsOk = true;
    if (booleanOption(args, 'packs')) {
      const packs = await new AuditPackStore(auditPackDirectory(directory), config.audit.packRetentionDays).verify();
      io.stdout(`${packs.checked} kept pack(s) hashed\n`);
      for (const name of packs.altered) io.stderr(`gitgate audit verify: TAMPERING DETECTED: the kept pack ${name} does not match its content hash [PACK_ALTERED]\n`);
      packsOk = packs.altered.length === 0;
    }
    if (result.ok) {
      if (!booleanOption(args, 'json')) io.stdout('audit chain OK\n');
      return packsOk ? 0 : 1;
    }
    const first = result.problems[0]!;
    io.stderr(`gitgate audit verify: TAMPERING DETECTED: ${first.message}${first.segment === null ? '' : ` (${first.segment} line ${first.line})`} [${first.code}]\n`);
    for (const problem of result.problems.slice(1, 10)) io.stderr(`  also: ${problem.message} [${problem.code}]\n`);
    return 1;
  },
};

export const auditShowCommand: Command = {
  words: ['audit', 'show'],
  summary: 'Every event of one request, in order',
  usage: '<request-id> [--config <file>] [--json]',
  options: COMMON,
  async run(args, io) {
    const [requestId] = oneRequestId(args);
    const { store } = auditOf(args);
    const events = await requestEvents(store, requestId!);
    if (events.length === 0) {
      io.stderr(`gitgate audit show: no events of request ${requestId}; find request ids with gitgate audit list\n`);
      return 1;
    }
    for (const event of events) io.stdout(booleanOption(args, 'json') ? `${JSON.stringify(event)}\n` : eventLine(event));
    return 0;
  },
};

function filterOf(args: ParsedCommandArgs): AuditEventFilter {
  const decision = stringOption(args, 'decision');
  if (decision !== undefined && decision !== 'allow' && decision !== 'deny' && decision !== 'approval') throw new CliUsageError(`--decision must be allow, deny or approval; got '${decision}'`);
  const type = stringOption(args, 'type');
  if (type !== undefined && !isAuditEventType(type)) throw new CliUsageError(`--type: unknown event type '${type}'`);
  const limitText = stringOption(args, 'limit');
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new CliUsageError(`--limit must be a positive integer; got '${limitText}'`);
  const filter: AuditEventFilter = {};
  const repo = stringOption(args, 'repo');
  const identity = stringOption(args, 'identity');
  const since = timeOption(args, 'since');
  const until = timeOption(args, 'until');
  if (repo !== undefined) filter.repository = repo;
  if (identity !== undefined) filter.identity = identity;
  if (decision !== undefined) filter.decision = decision;
  if (type !== undefined && isAuditEventType(type)) filter.type = type;
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  if (limit !== undefined) filter.limit = limit;
  return filter;
}

export const auditListCommand: Command = {
  words: ['audit', 'list'],
  summary: 'Requests in the audit log (who, repository, kind, decision, refs landed), filtered',
  usage: '[--repo owner/name] [--identity <subject>] [--decision allow|deny|approval] [--since <time|30m|7d>] [--until <time>] [--limit N] [--json]',
  options: { ...COMMON, repo: { type: 'string' }, identity: { type: 'string' }, decision: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, limit: { type: 'string' }, type: { type: 'string' } },
  async run(args, io) {
    const { store } = auditOf(args);
    const summaries = await summarizeRequests(store, filterOf(args));
    if (booleanOption(args, 'json')) {
      for (const summary of summaries) io.stdout(`${JSON.stringify(summary)}\n`);
      return 0;
    }
    for (const s of summaries) {
      io.stdout(`${s.time}  ${s.request_id}  ${(s.actor ?? '-').padEnd(12)} ${(s.repository ?? '-').padEnd(20)} ${s.kind.padEnd(5)} ${(s.decision ?? '-').padEnd(8)} ${s.outcome_unknown === true ? 'landed: unknown (being checked upstream)' : s.landed === null ? '' : `landed: ${s.landed.join(' ') || 'none'}`}\n`);
    }
    if (summaries.length === 0) io.stderr('gitgate audit list: no request matches\n');
    return 0;
  },
};

function policySourceOf(path: string): PolicySource {
  if (!existsSync(path)) throw new CliUsageError(`--policy: ${path} does not exist`);
  return statSync(path).isDirectory() ? { kind: 'directory', path } : { kind: 'bundle', path };
}

function decisionText(result: DecisionRecord['result']): string[] {
  const lines = [`allow: ${result.allow}`];
  for (const deny of result.deny) lines.push(`deny ${deny.code}${deny.ref ? ` (${deny.ref})` : ''}: ${deny.message}`);
  for (const approval of result.approvals) lines.push(`approval by ${approval.group} x${approval.count}${approval.ref ? ` (${approval.ref})` : ''}: ${approval.reason}`);
  return lines;
}

export const auditReplayCommand: Command = {
  words: ['audit', 'replay'],
  summary: "Evaluate a recorded request's input with today's policy (or --policy) beside the recorded decision",
  usage: '<request-id> [--policy <dir|bundle>] [--config <file>] [--json]',
  options: { ...COMMON, policy: { type: 'string' } },
  async run(args, io) {
    const [requestId] = oneRequestId(args);
    const { config, store } = auditOf(args);
    const events = await requestEvents(store, requestId!);
    const recorded = events.filter((e) => e.type === 'policy.decision');
    if (recorded.length === 0) {
      io.stderr(`gitgate audit replay: request ${requestId} has no recorded policy decision (${events.length === 0 ? 'unknown request id' : 'it was refused before the policy was asked'})\n`);
      return 1;
    }
    const policyPath = stringOption(args, 'policy');
    const source = policyPath === undefined ? config.policies : policySourceOf(policyPath);
    const engine = await PolicyEngine.start({ source, size: 1, ...(config.policyData === undefined ? {} : { dataOverrides: config.policyData }) });
    try {
      for (const event of recorded) {
        const kind = event.data['kind'] as PolicyKind;
        const input = event.data['input'];
        const recordedResult = event.data['result'] as unknown as DecisionRecord['result'];
        const replayed = await engine.evaluate(kind, input, { now: new Date(String(event.data['timestamp'] ?? event.time)) });
        // Key order is not part of a decision (the log stores keys sorted).
        const same = canonicalJson(toJsonValue(replayed.result)) === canonicalJson(toJsonValue(recordedResult));
        if (booleanOption(args, 'json')) {
          io.stdout(`${JSON.stringify({ request_id: requestId, decision_id: event.data['decision_id'], recorded: { revision: (event.data['bundles'] as { gitgate?: { revision?: string } })?.gitgate?.revision ?? null, result: recordedResult }, replayed: { revision: replayed.bundle.revision, result: replayed.result, error: replayed.error ?? null }, same })}\n`);
          continue;
        }
        io.stdout(`request ${requestId}, ${kind} decision ${String(event.data['decision_id'])}\n`);
        io.stdout(`  recorded (policy ${String((event.data['bundles'] as { gitgate?: { revision?: string } })?.gitgate?.revision ?? '?').slice(0, 16)}, ${event.time}):\n`);
        for (const line of decisionText(recordedResult)) io.stdout(`    ${line}\n`);
        io.stdout(`  replayed (policy ${(replayed.bundle.revision ?? '?').slice(0, 16)}${policyPath === undefined ? ', as configured today' : `, ${policyPath}`}):\n`);
        for (const line of decisionText(replayed.result)) io.stdout(`    ${line}\n`);
        if (replayed.error !== undefined) io.stdout(`    (evaluation error: ${replayed.error.message})\n`);
        io.stdout(`  ${same ? 'same decision' : 'DIFFERENT decision'}\n`);
      }
      return 0;
    } finally {
      await engine.close();
    }
  },
};

export const auditMaterializeCommand: Command = {
  words: ['audit', 'materialize'],
  summary: 'Rebuild a recorded push into a new bare repository (git log / git show read it)',
  usage: '<request-id> <dir> [--config <file>]',
  options: COMMON,
  async run(args, io) {
    const [requestId, target] = oneRequestId(args, 2);
    const { directory, store, config } = auditOf(args);
    const events = await requestEvents(store, requestId!);
    if (events.length === 0) {
      io.stderr(`gitgate audit materialize: no events of request ${requestId}; find request ids with gitgate audit list\n`);
      return 1;
    }
    const rebuilt = await materializePush(events, new AuditPackStore(auditPackDirectory(directory), config.audit.packRetentionDays), target!);
    io.stdout(`rebuilt push ${requestId} into ${rebuilt.gitDir}: ${rebuilt.objects} objects\n`);
    for (const ref of rebuilt.refs) io.stdout(`  ${ref.ref} ${ref.id}\n`);
    if (rebuilt.shallow.length > 0) io.stdout(`  history before the push is cut at ${rebuilt.shallow.length} commit(s) (shallow)\n`);
    io.stdout(`try: git --git-dir ${rebuilt.gitDir} log --stat ${rebuilt.refs[0]?.ref ?? ''}\n`);
    return 0;
  },
};

export const auditExportCommand: Command = {
  words: ['audit', 'export'],
  summary: 'The audit events since a time as JSONL (for a SIEM)',
  usage: '--since <time|30m|7d> [--until <time>] [--config <file>]',
  options: { ...COMMON, since: { type: 'string' }, until: { type: 'string' } },
  async run(args, io) {
    const since = timeOption(args, 'since');
    if (since === undefined) throw new CliUsageError('--since is required (an ISO time or an age such as 24h)');
    const until = timeOption(args, 'until');
    const { store } = auditOf(args);
    const from = Date.parse(since);
    const to = until === undefined ? Infinity : Date.parse(until);
    for await (const event of auditEvents(store)) {
      const time = Date.parse(event.time);
      if (time >= from && time <= to) io.stdout(`${JSON.stringify(event)}\n`);
    }
    return 0;
  },
};

/** An AuditError (missing pack, not a push...) is a message and exit code 1, not a crash. */
function reportingAuditErrors(command: Command): Command {
  return {
    ...command,
    async run(args, io) {
      try {
        return await command.run(args, io);
      } catch (error) {
        if (error instanceof AuditError) {
          io.stderr(`gitgate ${command.words.join(' ')}: ${error.message} [${error.code}]\n`);
          return 1;
        }
        throw error;
      }
    },
  };
}

export const auditCommands: Command[] = [auditVerifyCommand, auditShowCommand, auditListCommand, auditReplayCommand, auditMaterializeCommand, auditExportCommand].map(reportingAuditErrors);
