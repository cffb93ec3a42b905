import t from 'tap';
import { routeOf } from './smart-http-route.js';

t.test('smart HTTP paths are routed; anything else is refused', async (t) => {
  t.same(routeOf('GET', '/acme/app.git/info/refs?service=git-upload-pack'), { repositoryPath: 'acme/app', service: 'git-upload-pack', phase: 'advertisement' });
  t.same(routeOf('GET', '/acme/app/info/refs?service=git-receive-pack'), { repositoryPath: 'acme/app', service: 'git-receive-pack', phase: 'advertisement' });
  t.same(routeOf('POST', '/github.com/acme/app.git/git-receive-pack'), { repositoryPath: 'github.com/acme/app', service: 'git-receive-pack', phase: 'rpc' });
  t.match(routeOf('GET', '/acme/app.git/info/refs'), { status: 403, message: /smart HTTP/ });
  t.match(routeOf('GET', '/acme/app.git/git-upload-pack'), { status: 405 });
  t.match(routeOf('POST', '/acme/app.git/info/refs?service=git-upload-pack'), { status: 405 });
  t.match(routeOf('GET', '/acme/../etc.git/info/refs?service=git-upload-pack'), { repositoryPath: 'etc' }, 'dot segments are resolved as URLs are');
  t.match(routeOf('GET', '/acme%2F..%2Fx.git/info/refs?service=git-upload-pack'), { status: 404 }, 'encoded slashes cannot climb');
  t.match(routeOf('GET', '/'), { status: 404 });
});
