import t from 'tap';
import { apiPathSegments, RouteMatcher } from './route-matcher.js';
import type { HttpMethod } from './route-table.js';

const matcher = new RouteMatcher();
const match = (method: HttpMethod, path: string) => matcher.match(method, apiPathSegments(path));

t.test('templates of the REST reference with their parameters', async (t) => {
  t.same(match('PUT', '/repos/acme/app/pulls/42/merge'), {
    route: match('PUT', '/repos/acme/app/pulls/42/merge')!.route,
    template: '/repos/{owner}/{repo}/pulls/{pull_number}/merge',
    params: { owner: 'acme', repo: 'app', pull_number: '42' },
  });
  t.match(match('GET', '/repos/acme/app/contents/src/lib/a.ts'), { template: '/repos/{owner}/{repo}/contents/{path}', params: { path: 'src/lib/a.ts' } });
  t.match(match('PATCH', '/repos/acme/app/git/refs/heads/feature/x'), { template: '/repos/{owner}/{repo}/git/refs/{ref}', params: { ref: 'heads/feature/x' } });
  t.match(match('DELETE', '/repos/acme/app'), { template: '/repos/{owner}/{repo}', params: { owner: 'acme', repo: 'app' } });
  t.match(match('GET', '/repos/acme/app/compare/main...feature/x'), { params: { basehead: 'main...feature/x' } });
  t.match(match('GET', '/user'), { template: '/user', params: {} });
});

t.test('the most specific template wins, also with branch names containing slashes', async (t) => {
  t.match(match('PUT', '/repos/acme/app/branches/release/1.2/protection'), { template: '/repos/{owner}/{repo}/branches/{branch}/protection', params: { branch: 'release/1.2' } });
  t.match(match('DELETE', '/repos/acme/app/branches/main/protection/required_status_checks'), { template: '/repos/{owner}/{repo}/branches/{branch}/protection/required_status_checks' });
  t.match(match('GET', '/repos/acme/app/branches/feature/x'), { template: '/repos/{owner}/{repo}/branches/{branch}', params: { branch: 'feature/x' } });
  t.match(match('GET', '/repos/acme/app/pulls/comments'), { template: '/repos/{owner}/{repo}/pulls/comments' });
  t.match(match('GET', '/repos/acme/app/releases/latest'), { template: '/repos/{owner}/{repo}/releases/latest' });
  t.match(match('GET', '/repos/acme/app/issues/comments/9'), { template: '/repos/{owner}/{repo}/issues/comments/{comment_id}' });
  t.match(match('POST', '/repos/acme/app/issues/9/comments'), { template: '/repos/{owner}/{repo}/issues/{issue_number}/comments' });
});

t.test('methods: HEAD follows GET; an unknown method or path matches nothing', async (t) => {
  t.match(match('HEAD', '/repos/acme/app/contents/README.md'), { template: '/repos/{owner}/{repo}/contents/{path}' });
  t.equal(match('POST', '/repos/acme/app/contents/README.md'), undefined);
  t.equal(match('GET', '/repos/acme/app/something/new'), undefined);
  t.equal(match('PUT', '/repos/acme/app/pulls/1/merge/extra'), undefined);
  t.equal(match('GET', '/repos/acme'), undefined);
});

t.test('paths that could be read differently by gitgate and GitHub are refused', async (t) => {
  t.same(apiPathSegments('/repos/acme/app/contents/a%20b.txt'), ['repos', 'acme', 'app', 'contents', 'a b.txt']);
  t.same(apiPathSegments('/repos/acme/app/'), ['repos', 'acme', 'app'], 'one trailing slash is ignored');
  t.same(apiPathSegments('/'), []);
  for (const bad of ['/repos/acme%2Fapp/pulls', '/repos/acme/../app', '/repos//app', '/repos/acme/app/contents/%2e%2e/x', '/repos/acme/app/contents/a%5cb', '/repos/%E0%A4%A']) {
    t.throws(() => apiPathSegments(bad), { name: 'InvalidApiPathError', code: 'API_PATH_INVALID' }, bad);
  }
});
