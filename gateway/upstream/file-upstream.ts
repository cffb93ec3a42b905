import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { pktLine, FLUSH_PKT } from '../../pack-parser/index.js';
import { runGitProcess, startGit } from '../git/git-launcher.js';
import type { GitChild } from '../git/git-run.js';
import { UpstreamError } from './errors.js';
import { protocolVersionOf, type GitService, type GitUpstream, type RpcRequest, type UpstreamRequest, type UpstreamResponse } from './git-upstream.js';

/** Runs `git upload-pack` / `git receive-pack --stateless-rpc` on a local bare repository. */
export class FileUpstream implements GitUpstream {
  constructor(readonly gitDir: string) {}

  async advertise(service: GitService, request: UpstreamRequest): Promise<UpstreamResponse> {
    const output = await this.runToCompletion(service, ['--stateless-rpc', '--advertise-refs'], request);
    // git http-backend announces the service only for protocol v0/v1.
    const prefix = protocolVersionOf(request.gitProtocol) === 2 ? Buffer.alloc(0) : Buffer.concat([pktLine(`# service=${service}\n`), Buffer.from(FLUSH_PKT)]);
    return { status: 200, contentType: `application/x-${service}-advertisement`, body: Readable.from([Buffer.concat([prefix, output])]) };
  }

  async rpc(service: GitService, body: Readable, request: RpcRequest): Promise<UpstreamResponse> {
    let child: GitChild;
    try {
      child = await startGit([service.slice('git-'.length), '--stateless-rpc', this.gitDir], {
        env: this.env(request.gitProtocol),
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
    } catch (error) {
      throw new UpstreamError('UPSTREAM_FAILED', `cannot run git ${service}: ${(error as Error).message}`, { cause: error });
    }
    const out = new PassThrough();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.stdout.pipe(out, { end: false });
    child.exit.then(
      ({ code, signal }) => {
        if (code === 0) out.end();
        else out.destroy(new UpstreamError('UPSTREAM_FAILED', `git ${service} in the upstream repository exited ${signal ?? code}: ${stderr.trim().split('\n').pop() ?? ''}`));
      },
      (error: Error) => out.destroy(new UpstreamError('UPSTREAM_FAILED', `git ${service} in the upstream repository: ${error.message}`)),
    );
    // git may answer and exit before it has read the end of the request (EPIPE, or its stdin
    // closing before ours finished): its exit status says whether it succeeded. A failing request
    // body (the client went away, bad gzip) stops it.
    child.stdin.on('error', () => {});
    const stop = (error: unknown) => {
      child.kill();
      out.destroy(error instanceof Error ? error : new Error(String(error)));
    };
    if (request.contentEncoding === 'gzip') {
      const gunzip = createGunzip();
      pipeline(body, gunzip).catch(stop);
      gunzip.pipe(child.stdin);
    } else {
      body.once('error', stop);
      body.pipe(child.stdin);
    }
    return { status: 200, contentType: `application/x-${service}-result`, body: out };
  }

  private env(gitProtocol: string | undefined): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['GIT_DIR'];
    if (gitProtocol !== undefined) env['GIT_PROTOCOL'] = gitProtocol;
    else delete env['GIT_PROTOCOL'];
    return env;
  }

  private async runToCompletion(service: GitService, args: string[], request: UpstreamRequest): Promise<Buffer> {
    let result;
    try {
      result = await runGitProcess([service.slice('git-'.length), ...args, this.gitDir], { env: this.env(request.gitProtocol) }, request.signal);
    } catch (error) {
      throw new UpstreamError('UPSTREAM_FAILED', `cannot run git ${service}: ${(error as Error).message}`, { cause: error });
    }
    if (result.code === 0) return result.stdout;
    throw new UpstreamError('UPSTREAM_FAILED', `git ${service} --advertise-refs exited ${result.signal ?? result.code}: ${result.stderr.trim().split('\n').pop() ?? ''}`);
  }
}
