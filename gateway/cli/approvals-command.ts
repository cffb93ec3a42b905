import { existsSync, readFileSync } from 'node:fs';
import { adminTokenPath } from '../approvals/admin-token.js';
import { ApprovalsClient, ApprovalsClientError } from '../approvals/approvals-client.js';
import type { ApprovalRequest } from '../approvals/approval-types.js';
import { CliUsageError, stringOption, type CliIO, type Command, type CommandOptions, type ParsedCommandArgs } from './command.js';
import { configFromArgs } from './config-option.js';

const CONNECTION_OPTIONS: CommandOptions = {
  url: { type: 'string' },
  'token-file': { type: 'string' },
  'token-env': { type: 'string' },
  config: { type: 'string' },
  json: { type: 'boolean' },
};
const CONNECTION_USAGE =
  '[--url <gateway url>] [--token-env NAME | --token-file <path>] [--config gitgate.yaml] [--json]\n\n' +
  'The gateway: --url, else $GITGATE_URL, else the config (public_url or listen; $GITGATE_PORT as for serve). The token (a human\n' +
  'token of an approver group, or an OIDC JWT): --token-env/--token-file, else $GITGATE_TOKEN, else the\n' +
  "embedded default's admin token (<data dir>/admin-token).";

/** Exit codes of `approvals wait`. */
export const WAIT_EXIT = { approved: 0, refused: 1, pending: 3 } as const;

function clientFrom(args: ParsedCommandArgs): ApprovalsClient {
  const config = configFromArgs(args);
  const url = stringOption(args, 'url') ?? process.env['GITGATE_URL'] ?? config.publicUrl ?? `${config.tls === undefined ? 'http' : 'https'}://${config.listen.host === '0.0.0.0' ? '127.0.0.1' : config.listen.host}:${process.env['GITGATE_PORT'] ?? config.listen.port}`;
  if (!/^https?:\/\//.test(url)) throw new CliUsageError(`--url must start with http:// or https://, not '${url}'`);
  const tokenEnv = stringOption(args, 'token-env');
  const tokenFile = stringOption(args, 'token-file');
  let token: string | undefined;
  if (tokenEnv !== undefined) {
    token = process.env[tokenEnv];
    if (token === undefined || token === '') throw new CliUsageError(`the variable ${tokenEnv} (--token-env) is not set`);
  } else if (tokenFile !== undefined) {
    if (!existsSync(tokenFile)) throw new CliUsageError(`token file not found: ${tokenFile}`);
    token = readFileSync(tokenFile, 'utf8').trim();
  } else if (process.env['GITGATE_TOKEN'] !== undefined && process.env['GITGATE_TOKEN'] !== '') token = process.env['GITGATE_TOKEN'];
  else if (existsSync(adminTokenPath(config.dataDir))) token = readFileSync(adminTokenPath(config.dataDir), 'utf8').trim();
  if (token === undefined || token === '') throw new CliUsageError('no token: give --token-env or --token-file, or set GITGATE_TOKEN');
  return new ApprovalsClient({ baseUrl: url, token });
}

function age(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 120 ? `${seconds}s` : seconds < 7200 ? `${Math.round(seconds / 60)}m` : `${Math.round(seconds / 3600)}h`;
}

function needs(request: ApprovalRequest): string {
  const groups = new Map<string, number>();
  for (const r of request.requirements) groups.set(r.group, Math.max(groups.get(r.group) ?? 0, r.count));
  return [...groups].map(([group, count]) => `${new Set(request.approvals.filter((a) => a.group === group).map((a) => a.approver.subject)).size}/${count} ${group}`).join(', ');
}

function describe(request: ApprovalRequest): string {
  const lines = [
    `${request.id}  ${request.state.toUpperCase()}${request.delivery === 'quarantined' && request.state === 'pending' ? ' (push quarantined)' : ''}`,
    `  repository: ${request.repository}   pusher: ${request.pusher.subject}   created ${request.created_at}, expires ${request.expires_at}`,
    ...request.refs.map((r) => `  ${r.operation.padEnd(6)} ${r.ref} ${r.old.slice(0, 12)}..${r.new.slice(0, 12)}${r.fast_forward === false ? ' (force)' : ''}`),
    `  needs: ${needs(request)}`,
    ...request.requirements.map((q) => `  why: ${q.reason}`),
    ...request.commits.slice(0, 20).map((c) => `  commit ${c.id.slice(0, 12)} ${c.author.name}: ${c.message.split('\n')[0] ?? ''}`),
    ...request.files.slice(0, 50).map((f) => `  file ${f.status.padEnd(8)} ${f.path}${f.binary ? ' (binary)' : ''}`),
    ...request.findings.map((f) => `  finding ${f.rule} in ${f.path}:${f.line}: ${f.preview}`),
    ...request.history.map((h) => `  ${h.at}  ${h.event.padEnd(14)} ${h.by.subject}${h.reason === '' ? '' : `: ${h.reason}`}`),
    ...(request.forward === undefined ? [] : [`  forwarded by gitgate: ${request.forward.outcome} (${request.forward.detail.join('; ')})`]),
    `  ${request.url}`,
  ];
  return `${lines.join('\n')}\n`;
}

async function guarded(io: CliIO, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApprovalsClientError) {
      io.stderr(`gitgate approvals: ${error.message} (${error.code})\n`);
      return 1;
    }
    throw error;
  }
}

function idOf(args: ParsedCommandArgs): string {
  const id = args.positionals[0];
  if (id === undefined || args.positionals.length !== 1) throw new CliUsageError('give one approval request id (apr_...)');
  return id;
}

const list: Command = {
  words: ['approvals', 'list'],
  summary: 'List approval requests (pending by default)',
  usage: `[--state pending|approved|denied|expired|used|cancelled|all] [--repository owner/name] ${CONNECTION_USAGE}`,
  options: { ...CONNECTION_OPTIONS, state: { type: 'string' }, repository: { type: 'string' } },
  async run(args, io) {
    const client = clientFrom(args);
    const state = stringOption(args, 'state') ?? 'pending';
    return guarded(io, async () => {
      const requests = await client.list({ ...(state === 'all' ? {} : { state }), ...(stringOption(args, 'repository') === undefined ? {} : { repository: stringOption(args, 'repository')! }) });
      if (args.values['json'] === true) io.stdout(`${JSON.stringify(requests, null, 2)}\n`);
      else if (requests.length === 0) io.stderr(`no ${state === 'all' ? '' : `${state} `}approval requests\n`);
      else for (const r of requests) io.stdout(`${r.id}  ${r.state.padEnd(9)} ${r.repository}  ${r.refs.map((x) => `${x.ref.replace(/^refs\/heads\//, '')} ${x.new.slice(0, 12)}`).join(', ')}  by ${r.pusher.subject}  needs ${needs(r)}  ${age(r.created_at)} ago\n`);
      return 0;
    });
  },
};

const show: Command = {
  words: ['approvals', 'show'],
  summary: 'Show one approval request: refs, commits, files, findings, history',
  usage: `<id> ${CONNECTION_USAGE}`,
  options: CONNECTION_OPTIONS,
  async run(args, io) {
    const client = clientFrom(args);
    const id = idOf(args);
    return guarded(io, async () => {
      const { approval } = await client.show(id);
      io.stdout(args.values['json'] === true ? `${JSON.stringify(approval, null, 2)}\n` : describe(approval));
      return 0;
    });
  },
};

function decideCommand(verb: 'approve' | 'deny' | 'cancel'): Command {
  return {
    words: ['approvals', verb],
    summary: verb === 'approve' ? 'Approve a request (you must be in its group, and not its pusher)' : verb === 'deny' ? 'Deny a request with a reason the pusher sees' : 'Cancel a request (its pusher or an approver)',
    usage: `<id> ${verb === 'approve' ? '[--reason <text>]' : '--reason <text>'} ${CONNECTION_USAGE}`,
    options: { ...CONNECTION_OPTIONS, reason: { type: 'string' } },
    async run(args, io) {
      const client = clientFrom(args);
      const id = idOf(args);
      const reason = stringOption(args, 'reason');
      if (verb !== 'approve' && (reason === undefined || reason.trim() === '')) throw new CliUsageError('--reason is required (it is recorded and shown to the pusher)');
      return guarded(io, async () => {
        const updated = verb === 'approve' ? await client.approve(id, reason) : verb === 'deny' ? await client.deny(id, reason!) : await client.cancel(id, reason!);
        if (args.values['json'] === true) io.stdout(`${JSON.stringify(updated, null, 2)}\n`);
        else io.stdout(`${updated.id} is now ${updated.state}${updated.state === 'pending' ? ` (needs ${needs(updated)})` : ''}\n`);
        return 0;
      });
    },
  };
}

const wait: Command = {
  words: ['approvals', 'wait'],
  summary: 'Block until a request is decided (exit 0 approved, 1 denied/expired/cancelled/conflict, 3 still pending at --timeout)',
  usage: `<id> [--timeout <seconds>] ${CONNECTION_USAGE}`,
  options: { ...CONNECTION_OPTIONS, timeout: { type: 'string' } },
  async run(args, io) {
    const client = clientFrom(args);
    const id = idOf(args);
    const timeoutText = stringOption(args, 'timeout');
    const timeout = timeoutText === undefined ? undefined : Number(timeoutText);
    if (timeout !== undefined && (!Number.isFinite(timeout) || timeout < 0)) throw new CliUsageError(`--timeout must be a number of seconds, not '${timeoutText}'`);
    return guarded(io, async () => {
      let request = await client.wait(id, timeout);
      // A quarantined push is forwarded by gitgate right after the approval: report how that went.
      for (let i = 0; i < 120 && request.delivery === 'quarantined' && request.forward === undefined && (request.state === 'used' || request.state === 'approved'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        request = (await client.show(id)).approval;
      }
      if (args.values['json'] === true) io.stdout(`${JSON.stringify(request, null, 2)}\n`);
      const by = [...new Set(request.approvals.map((a) => a.approver.subject))].join(', ');
      switch (request.state) {
        case 'pending':
          io.stderr(`${id} is still pending (needs ${needs(request)}); approve at ${request.url}\n`);
          return WAIT_EXIT.pending;
        case 'approved':
        case 'used': {
          const forward = request.forward;
          if (forward !== undefined && forward.outcome !== 'forwarded') {
            io.stderr(`${id} was approved by ${by}, but gitgate could not apply the quarantined push: ${forward.outcome} (${forward.detail.join('; ')}). Fetch, rebase and push again.\n`);
            return WAIT_EXIT.refused;
          }
          io.stderr(
            `${id} approved by ${by}.` +
              (forward?.outcome === 'forwarded' ? ` gitgate pushed it upstream (${forward.detail.filter((d) => d.startsWith('ok ')).join(', ')}); run git fetch.\n` : request.state === 'approved' ? ' Push the same commits again to deliver them.\n' : '\n'),
          );
          return WAIT_EXIT.approved;
        }
        case 'denied':
          io.stderr(`${id} was denied by ${request.denial?.by.subject ?? 'an approver'}: ${request.denial?.reason ?? ''}\n`);
          return WAIT_EXIT.refused;
        default:
          io.stderr(`${id} is ${request.state}; push again to ask anew\n`);
          return WAIT_EXIT.refused;
      }
    });
  },
};

export const approvalsCommands: Command[] = [list, show, decideCommand('approve'), decideCommand('deny'), decideCommand('cancel'), wait];
