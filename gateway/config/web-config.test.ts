import t from 'tap';
import { resolveConfig } from './load-config.js';

const resolve = (web: unknown) => resolveConfig({ web }, '/srv/gitgate', '/srv/gitgate/gitgate.yaml');

t.test('web: defaults without a section: token login on, 8 h sessions, 1 h idle, no IdP', async (t) => {
  const { web } = resolveConfig({}, '/srv', undefined);
  t.same(web, { sessionTtlSeconds: 28800, sessionIdleSeconds: 3600, tokenLogin: true, sessionStore: 'file', oidc: undefined, saml: undefined });
});

t.test('web.oidc and web.saml resolve with defaults and paths from the config directory', async (t) => {
  const { web } = resolve({
    session_ttl_seconds: 1800,
    oidc: { issuer: 'https://login.example.com', client_id: 'gitgate-ui', client_secret_file: 'secrets/oidc' },
    saml: { idp_metadata_file: 'idp.xml', sp_entity_id: 'https://gitgate.example.com/saml' },
  });
  t.equal(web.sessionIdleSeconds, 1800, 'idle time never exceeds the lifetime');
  t.match(web.oidc, { clientSecret: { kind: 'file', path: '/srv/gitgate/secrets/oidc' }, scopes: ['openid', 'profile', 'email'], groupsClaim: 'groups', label: 'login.example.com' });
  t.match(web.saml, { idpMetadataFile: '/srv/gitgate/idp.xml', groupsAttribute: 'groups', label: 'SAML' });
});

t.test('bad web keys are refused with their names', async (t) => {
  t.throws(() => resolve({ oidc: { issuer: 'https://x' } }), { code: 'CONFIG_INVALID', message: /web\.oidc\.client_id: required/ });
  t.throws(() => resolve({ session_ttl_seconds: 5 }), { message: /web\.session_ttl_seconds: must be >= 60/ });
  t.throws(() => resolve({ cookie: 'x' }), { message: /web\.cookie: unknown key/ });
  t.throws(() => resolve({ session_store: 'redis' }), { message: /web\.session_store: must be one of file, memory/ });
  t.throws(() => resolve({ saml: { sp_entity_id: 'x' } }), { message: /web\.saml\.idp_metadata_file: required/ });
  t.throws(() => resolve({ oidc: { issuer: 'https://x', client_id: 'a', client_secret_env: 'A', client_secret_file: 'b' } }), { message: /web\.oidc: give at most one of client_secret_env or client_secret_file/ });
  t.throws(() => resolve({ oidc: { issuer: 'https://x', client_id: 'a', scopes: ['email'] } }), { message: /web\.oidc\.scopes: must include openid/ });
});
