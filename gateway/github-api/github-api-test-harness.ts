import { startHarness, type GatewayHarness } from '../e2e/gateway-harness.js';
import { fakeGithubToken } from '../secrets/test-helpers.js';
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from '../../testdata/fake-github/fake-github-server.js';
import type { NewFakeRepository } from '../../testdata/fake-github/fake-github-state.js';

/** A gateway with `github_api` pointing at a fake GitHub, and helpers to call it as an agent. */
export interface ApiHarness {
  gateway: GatewayHarness;
  github: FakeGitHub;
  /** The gateway's API base, e.g. `http://127.0.0.1:1234/api/github`. */
  apiBase: string;
  /** The fake secret planted in `config/settings.py`. */
  plantedSecret: string;
  call(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string>; token?: string }): Promise<Response>;
  close(): Promise<void>;
}

export const GATEWAY_TOKEN_ENV = 'GITGATE_TEST_GITHUB_TOKEN';

/** `acme/app`: main (protected) and feature branches; pulls #1, #3, #4 into main, #2 feature/y -> feature/x; 7 issues. */
export function defaultRepositories(secret: string): NewFakeRepository[] {
  return [
    {
      owner: 'acme',
      name: 'app',
      branches: ['feature/x', 'feature/y', 'feature/z', 'feature/w'],
      protectedBranches: ['main'],
      files: { 'README.md': '# app\n', 'config/settings.py': `DEBUG = False\nGITHUB_TOKEN = "${secret}"\n` },
      pulls: [
        { number: 1, base: 'main', head: 'feature/x', title: 'Say hello', files: { 'src/app.py': 'print("hello")\n', 'README.md': '# app\n\nSays hello.\n' } },
        { number: 2, base: 'feature/x', head: 'feature/y' },
        { number: 3, base: 'main', head: 'feature/z' },
        { number: 4, base: 'main', head: 'feature/w' },
      ],
      issues: 7,
    },
    { owner: 'other', name: 'secret-project' },
  ];
}

export interface ApiHarnessOptions {
  fake?: Partial<FakeGitHubOptions>;
  /** The `credential` of github_api; a static token from GATEWAY_TOKEN_ENV by default. */
  credential?: Record<string, unknown>;
  githubApi?: Record<string, unknown>;
  extraConfig?: Record<string, unknown>;
}

export async function startApiHarness(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const plantedSecret = fakeGithubToken(7);
  const upstreamToken = fakeGithubToken(99);
  process.env[GATEWAY_TOKEN_ENV] = upstreamToken;
  const github = await startFakeGitHub({ tokens: [upstreamToken], repositories: defaultRepositories(plantedSecret), ...options.fake });
  const gateway = await startHarness(
    [{ type: 'http', name: 'github', scheme: 'http', repositories: [`${github.host}/acme/*`] }],
    undefined,
    {
      github_api: {
        base_url: github.baseUrl,
        credential: options.credential ?? { token_env: GATEWAY_TOKEN_ENV },
        approval_wait_seconds: 2,
        ...options.githubApi,
      },
      ...options.extraConfig,
    },
  );
  const apiBase = `${gateway.gateway.url}/api/github`;
  return {
    gateway,
    github,
    apiBase,
    plantedSecret,
    call: (method, path, callOptions = {}) =>
      fetch(`${apiBase}${path}`, {
        method,
        headers: {
          authorization: `token ${callOptions.token ?? gateway.token}`,
          accept: 'application/vnd.github+json',
          ...(callOptions.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...callOptions.headers,
        },
        ...(callOptions.body === undefined ? {} : { body: JSON.stringify(callOptions.body) }),
      }),
    close: async () => {
      await gateway.close();
      await github.close();
    },
  };
}
