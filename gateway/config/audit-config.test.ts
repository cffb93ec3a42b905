import { join } from 'node:path';
import t from 'tap';
import { resolveConfig } from './load-config.js';

t.test('audit settings default under the data dir', async (t) => {
  const config = resolveConfig({ data_dir: 'state' }, '/srv/gitgate', '/srv/gitgate/gitgate.yaml');
  t.same(config.audit, {
    directory: join('/srv/gitgate/state', 'audit'),
    segmentBytes: 64 * 1024 * 1024,
    checkpointIntervalSeconds: 60,
    packRetentionDays: 90,
    signingKeyFile: join('/srv/gitgate/state', 'audit', 'checkpoint-key.pem'),
  });
});

t.test('audit settings are read and paths resolved from the config directory', async (t) => {
  const config = resolveConfig(
    { audit: { directory: 'log', segment_bytes: 1048576, checkpoint_interval_seconds: 5, pack_retention_days: 7, signing_key_file: '/etc/gitgate/audit.pem' } },
    '/srv/gitgate',
    '/srv/gitgate/gitgate.yaml',
  );
  t.same(config.audit, { directory: '/srv/gitgate/log', segmentBytes: 1048576, checkpointIntervalSeconds: 5, packRetentionDays: 7, signingKeyFile: '/etc/gitgate/audit.pem' });
});

t.test('bad audit settings stop the start naming the key', async (t) => {
  for (const [audit, key] of [
    [{ segment_bytes: 10 }, 'segment_bytes'],
    [{ checkpoint_interval_seconds: 0 }, 'checkpoint_interval_seconds'],
    [{ pack_retention_days: 'long' }, 'pack_retention_days'],
    [{ signing_key_file: '' }, 'signing_key_file'],
    [{ retention: 3 }, 'retention'],
  ] as const) {
    t.throws(() => resolveConfig({ audit }, '/srv', '/srv/gitgate.yaml'), { code: 'CONFIG_INVALID', message: new RegExp(`audit.*${key}`) }, key);
  }
});
