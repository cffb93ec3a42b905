import t from 'tap';
import { resolveConfig } from './load-config.js';

t.test('shutdown grace, metrics access, the client idle timeout and push limits have their defaults', async (t) => {
  const config = resolveConfig({}, '/srv/gitgate', '/srv/gitgate/gitgate.yaml');
  t.same(config.operations, { shutdownGraceSeconds: 25, metricsToken: undefined, clientIdleSeconds: 60, concurrentPushes: 8, pushQueueSeconds: 60 });
});

t.test('shutdown, metrics, timeouts and limits are read, the token file resolved from the config directory', async (t) => {
  t.same(
    resolveConfig(
      { shutdown: { grace_seconds: 90 }, metrics: { token_file: 'secrets/metrics-token' }, timeouts: { client_idle_seconds: 0 }, limits: { concurrent_pushes: 2, push_queue_seconds: 0 } },
      '/srv/gitgate',
      '/srv/gitgate/gitgate.yaml',
    ).operations,
    {
      shutdownGraceSeconds: 90,
      metricsToken: { kind: 'file', path: '/srv/gitgate/secrets/metrics-token' },
      clientIdleSeconds: 0,
      concurrentPushes: 2,
      pushQueueSeconds: 0,
    },
  );
  t.same(resolveConfig({ metrics: { token_env: 'GITGATE_METRICS_TOKEN' } }, '/srv', '/srv/gitgate.yaml').operations.metricsToken, { kind: 'env', name: 'GITGATE_METRICS_TOKEN' });
});

t.test('bad shutdown and metrics settings stop the start naming the key', async (t) => {
  for (const [raw, message] of [
    [{ shutdown: { grace_seconds: -1 } }, /shutdown\.grace_seconds/],
    [{ shutdown: { grace_seconds: 2.5 } }, /shutdown\.grace_seconds/],
    [{ shutdown: { drain: true } }, /shutdown\.drain: unknown key/],
    [{ metrics: { token_env: 'not a name' } }, /metrics\.token_env/],
    [{ metrics: { token: 'inline-secrets-are-not-accepted' } }, /metrics\.token: unknown key/],
    [{ metrics: { token_env: 'A', token_file: 'b' } }, /metrics: give either token_env or token_file, not both/],
    [{ timeouts: { client_idle_seconds: -5 } }, /timeouts\.client_idle_seconds/],
    [{ timeouts: { client_idle_seconds: '60s' } }, /timeouts\.client_idle_seconds/],
    [{ timeouts: { request_seconds: 300 } }, /timeouts\.request_seconds: unknown key/],
    [{ limits: { concurrent_pushes: 0 } }, /limits\.concurrent_pushes/],
    [{ limits: { push_queue_seconds: -1 } }, /limits\.push_queue_seconds/],
  ] as const) {
    t.throws(() => resolveConfig(raw, '/srv', '/srv/gitgate.yaml'), { code: 'CONFIG_INVALID', message }, JSON.stringify(raw));
  }
});
