import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ApprovalService, ApprovalStore } from '../approvals/index.js';
import { resolveConfig } from '../config/load-config.js';
import { TokenStore } from '../identity/token-store.js';
import { escapeHtml, html, raw } from './html.js';
import { createWebUi } from './web-ui-setup.js';

const root = mkdtempSync(join(tmpdir(), 'gitgate-web-setup-'));
const logger = pino({ level: 'silent' });
const approvals = new ApprovalService(new ApprovalStore(join(root, 'approvals')), { holdSeconds: 0, expirySeconds: 60, progressIntervalSeconds: 5, publicUrl: () => '' }, logger);
const tokens = new TokenStore(join(root, 'tokens.json'));
const setup = (web: unknown) => () => createWebUi(resolveConfig({ web }, root, join(root, 'gitgate.yaml')), { approvals, tokens, logger, publicUrl: () => 'https://gitgate.example.com' });

t.test('a SAML metadata file that is missing or wrong stops the start with a message naming the key', async (t) => {
  t.throws(setup({ saml: { idp_metadata_file: 'missing.xml', sp_entity_id: 'sp' } }), { code: 'SAML_METADATA_INVALID', message: /cannot read the SAML IdP metadata .*missing\.xml \(web\.saml\.idp_metadata_file\): ENOENT/ });
  writeFileSync(join(root, 'bad.xml'), '<EntityDescriptor entityID="x"><IDPSSODescriptor/></EntityDescriptor>');
  t.throws(setup({ saml: { idp_metadata_file: 'bad.xml', sp_entity_id: 'sp' } }), { code: 'SAML_METADATA_INVALID', message: /web\.saml\.idp_metadata_file\): no SingleSignOnService/ });
});

t.test('over HTTPS the session cookie is Secure with the __Host- prefix', async (t) => {
  const ui = createWebUi(resolveConfig({ public_url: 'https://gitgate.example.com' }, root, join(root, 'gitgate.yaml')), { approvals, tokens, logger, publicUrl: () => 'https://gitgate.example.com' });
  t.equal(ui.handler.context.cookieName, '__Host-gitgate_session');
  t.equal(ui.handler.context.secureCookies, true);
  t.equal(setup({})().handler.context.cookieName, 'gitgate_session');
});

t.test('html escapes every interpolation unless it is already Html', async (t) => {
  t.equal(escapeHtml(`<a href="x" onclick='y'>&\``), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;');
  t.equal(html`<p title="${'"><script>'}">${['<i>', raw('<b>ok</b>'), 3, null, false]}</p>`.text, '<p title="&quot;&gt;&lt;script&gt;">&lt;i&gt;<b>ok</b>3</p>');
});
