/**
 * Fake, format-valid secrets for every rule, built at run time from a prefix and seeded random
 * characters: no literal in this repository looks like a live credential, so secret scanners do
 * not flag it. Each generator gives a true positive (a line of a file holding the secret) and
 * false positives (placeholders, near misses, the same value without its context).
 */
import {
  ALNUM,
  BASE32,
  BASE64,
  BASE64URL,
  BECH32_UPPER,
  DIGITS,
  HEX,
  LETTERS,
  LOWER_ALNUM,
  PASSWORD_CHARS,
  UPPER_ALNUM,
  SeededTextRandom,
} from './seeded-text-random.js';

export interface PlantedSecret {
  /** File content (one or more lines) holding the secret. */
  text: string;
  /** The secret exactly as the rule's secret group should capture it. */
  secret: string;
  /** A path of the kind of file this line lives in. */
  path: string;
}

export interface NegativeSample {
  text: string;
  path: string;
}

export interface SecretSampleGenerator {
  ruleId: string;
  truePositive(random: SeededTextRandom): PlantedSecret;
  falsePositives(random: SeededTextRandom): NegativeSample[];
}

const j = (...parts: string[]) => parts.join('');

/** Neutral code context: no word that a generic assignment rule keys on. */
const inCode = (secret: string) => `    headers["Authorization"] = "Bearer ${secret}"`;

interface TokenSpec {
  ruleId: string;
  /** Known fixed head of the token (kept in the near-miss variants). */
  prefix: string;
  body: (r: SeededTextRandom) => string;
  /** Line around the token; default: an Authorization header in code. */
  context?: (secret: string) => string;
  path?: string;
  /** The same value where its context is missing (for rules that need a name next to the value). */
  withoutContext?: boolean;
}

function placeholderOf(secret: string, prefix: string): string {
  return prefix + secret.slice(prefix.length).replace(/[A-Za-z0-9]/g, 'x');
}

function tokenGenerator(spec: TokenSpec): SecretSampleGenerator {
  const context = spec.context ?? inCode;
  const path = spec.path ?? 'src/client.py';
  const make = (r: SeededTextRandom) => spec.prefix + spec.body(r);
  return {
    ruleId: spec.ruleId,
    truePositive(r) {
      const secret = make(r);
      return { text: `${context(secret)}\n`, secret, path };
    },
    falsePositives(r) {
      const secret = make(r);
      const bodyLength = secret.length - spec.prefix.length;
      const negatives = [
        context(placeholderOf(secret, spec.prefix)),
        context(secret.slice(0, spec.prefix.length + Math.min(12, Math.floor(bodyLength * 0.4)))),
        context(`${secret.slice(0, -7)}EXAMPLE`),
      ];
      if (spec.withoutContext) negatives.push(`    request_id = "${spec.body(r)}"`, inCode(make(r)).replace(/Bearer /, ''));
      return negatives.map((text) => ({ text: `${text}\n`, path }));
    },
  };
}

const env = (name: string) => (secret: string) => `${name}=${secret}`;
const chars = (alphabet: string, length: number) => (r: SeededTextRandom) => r.chars(alphabet, length);
const uuid = (r: SeededTextRandom) => r.uuid();

const tokens: TokenSpec[] = [
  ...['pat:ghp', 'oauth:gho', 'user-to-server:ghu', 'server-to-server:ghs', 'refresh:ghr'].map((pair) => {
    const [kind, prefix] = pair.split(':') as [string, string];
    return { ruleId: `github-${kind}`, prefix: `${prefix}_`, body: chars(ALNUM, 36) };
  }),
  { ruleId: 'github-fine-grained-pat', prefix: j('github', '_pat_'), body: (r) => `${r.chars(ALNUM, 22)}_${r.chars(ALNUM, 59)}` },
  { ruleId: 'gitlab-pat', prefix: j('gl', 'pat-'), body: chars(ALNUM, 20), context: env('GITLAB_TOKEN') },
  { ruleId: 'gitlab-pipeline-trigger-token', prefix: j('gl', 'ptt-'), body: chars(HEX, 40) },
  { ruleId: 'gitlab-runner-registration-token', prefix: j('GR13', '48941'), body: chars(BASE64URL, 20), context: (s) => `  registration-token: ${s}`, path: 'ci/runner.yml' },
  { ruleId: 'gitlab-runner-auth-token', prefix: j('gl', 'rt-'), body: chars(BASE64URL, 20), context: (s) => `  token = "${s}"`, path: 'config.toml' },
  { ruleId: 'gitlab-deploy-token', prefix: j('gl', 'dt-'), body: chars(ALNUM, 20) },
  { ruleId: 'gitlab-feed-token', prefix: j('gl', 'ft-'), body: chars(ALNUM, 20) },
  { ruleId: 'gitlab-oauth-app-secret', prefix: j('gl', 'oas-'), body: chars(ALNUM, 64) },
  { ruleId: 'gitlab-scim-token', prefix: j('gl', 'soat-'), body: chars(ALNUM, 20) },
  { ruleId: 'gitlab-incoming-mail-token', prefix: j('gl', 'imt-'), body: chars(ALNUM, 25) },
  { ruleId: 'gitlab-cicd-job-token', prefix: j('gl', 'cbt-'), body: (r) => `${r.chars(ALNUM, 2)}_${r.chars(ALNUM, 20)}` },
  { ruleId: 'gitlab-agent-token', prefix: j('gl', 'agent-'), body: chars(ALNUM, 50) },
  { ruleId: 'bitbucket-app-password', prefix: j('AT', 'BB'), body: chars(ALNUM, 32) },
  { ruleId: 'atlassian-api-token', prefix: j('ATA', 'TT3'), body: chars(ALNUM, 186) },
  { ruleId: 'bitbucket-repository-access-token', prefix: j('ATC', 'TT3'), body: chars(ALNUM, 186) },
  { ruleId: 'aws-access-key-id', prefix: j('AK', 'IA'), body: chars(BASE32, 16), context: env('AWS_ACCESS_KEY_ID'), path: '.env' },
  { ruleId: 'aws-secret-access-key', prefix: '', body: chars(BASE64, 40), context: (s) => `aws_secret_access_key = ${s}`, path: '.aws/credentials', withoutContext: true },
  { ruleId: 'aws-session-token', prefix: '', body: chars(BASE64, 300), context: (s) => `aws_session_token = ${s}`, path: '.aws/credentials', withoutContext: true },
  { ruleId: 'gcp-api-key', prefix: j('AI', 'za'), body: chars(BASE64URL, 35), context: (s) => `const firebaseConfig = { apiKey: "${s}" };`, path: 'web/firebase.js' },
  { ruleId: 'gcp-oauth-client-secret', prefix: j('GOC', 'SPX-'), body: chars(ALNUM, 28) },
  { ruleId: 'gcp-service-account-key-id', prefix: '', body: chars(HEX, 40), context: (s) => `  "private_key_id": "${s}",`, path: 'sa.json', withoutContext: true },
  { ruleId: 'google-oauth-access-token', prefix: j('ya', '29.'), body: chars(BASE64URL, 100) },
  {
    ruleId: 'azure-storage-account-key', prefix: '', body: (r) => `${r.chars(BASE64, 86)}==`, withoutContext: true,
    context: (s) => `"Storage": "DefaultEndpointsProtocol=https;AccountName=appstore;AccountKey=${s};EndpointSuffix=core.windows.net"`, path: 'appsettings.json',
  },
  { ruleId: 'azure-shared-access-key', prefix: '', body: (r) => `${r.chars(BASE64, 43)}=`, withoutContext: true, context: (s) => `Endpoint=sb://bus.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=${s}`, path: 'local.settings.json' },
  {
    ruleId: 'azure-sas-token', prefix: '', body: (r) => `${r.chars(ALNUM, 43)}%3D`, withoutContext: true,
    context: (s) => `BLOB_URL=https://appstore.blob.core.windows.net/exports/data.csv?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=${s}`, path: '.env',
  },
  { ruleId: 'azure-ad-client-secret', prefix: '', body: (r) => `${r.chars(ALNUM, 3)}${r.chars(DIGITS, 1)}Q~${r.chars(ALNUM, 34)}`, context: (s) => `AZURE_CLIENT_SECRET="${s}"`, path: '.env' },
  { ruleId: 'azure-devops-pat', prefix: '', body: (r) => `${r.chars(ALNUM, 76)}AZDO${r.chars(ALNUM, 4)}` },
  { ruleId: 'alibaba-access-key-id', prefix: j('LT', 'AI'), body: chars(ALNUM, 20) },
  { ruleId: 'digitalocean-pat', prefix: j('dop', '_v1_'), body: chars(HEX, 64) },
  { ruleId: 'digitalocean-oauth-token', prefix: j('doo', '_v1_'), body: chars(HEX, 64) },
  { ruleId: 'digitalocean-refresh-token', prefix: j('dor', '_v1_'), body: chars(HEX, 64) },
  { ruleId: 'heroku-api-key', prefix: j('HR', 'KU-'), body: chars(BASE64URL, 60) },
  { ruleId: 'heroku-api-key-legacy', prefix: '', body: uuid, context: env('HEROKU_API_KEY'), path: '.env', withoutContext: true },
  { ruleId: 'cloudflare-origin-ca-key', prefix: j('v1', '.0-'), body: (r) => `${r.chars(HEX, 24)}-${r.chars(HEX, 146)}` },
  { ruleId: 'cloudflare-api-token', prefix: '', body: chars(BASE64URL, 40), context: env('CLOUDFLARE_API_TOKEN'), path: '.env', withoutContext: true },
  { ruleId: 'fastly-api-token', prefix: '', body: chars(BASE64URL, 32), context: env('FASTLY_API_TOKEN'), path: '.env', withoutContext: true },
  { ruleId: 'vault-service-token', prefix: j('hv', 's.'), body: chars(BASE64URL, 95), context: env('VAULT_TOKEN'), path: '.env' },
  { ruleId: 'vault-batch-token', prefix: j('hv', 'b.'), body: chars(BASE64URL, 150) },
  { ruleId: 'terraform-cloud-token', prefix: '', body: (r) => `${r.chars(ALNUM, 14)}.atlasv1.${r.chars(ALNUM, 67)}`, context: (s) => `  token = "${s}"`, path: '.terraformrc' },
  { ruleId: 'pulumi-access-token', prefix: j('pu', 'l-'), body: chars(HEX, 40), context: env('PULUMI_ACCESS_TOKEN'), path: '.env' },
  { ruleId: 'doppler-token', prefix: j('dp', '.pt.'), body: chars(ALNUM, 43) },
  { ruleId: 'onepassword-service-account-token', prefix: j('ops', '_eyJ'), body: chars(BASE64, 300), context: env('OP_SERVICE_ACCOUNT_TOKEN'), path: '.env' },
  { ruleId: 'age-secret-key', prefix: j('AGE-SECRET', '-KEY-1'), body: chars(BECH32_UPPER, 58), context: (s) => s, path: 'keys/age.txt' },
  { ruleId: 'databricks-token', prefix: j('da', 'pi'), body: chars(HEX, 32) },
  { ruleId: 'planetscale-password', prefix: j('pscale', '_pw_'), body: chars(ALNUM, 43) },
  { ruleId: 'planetscale-token', prefix: j('pscale', '_tkn_'), body: chars(ALNUM, 43) },
  { ruleId: 'supabase-access-token', prefix: j('sb', 'p_'), body: chars(HEX, 40) },
  { ruleId: 'npm-access-token', prefix: j('np', 'm_'), body: chars(ALNUM, 36), context: (s) => `//registry.npmjs.org/:_authToken=${s}`, path: '.npmrc' },
  { ruleId: 'pypi-upload-token', prefix: j('pypi-AgEI', 'cHlwaS5vcmc'), body: chars(BASE64URL, 120), context: (s) => `password = ${s}`, path: '.pypirc' },
  { ruleId: 'rubygems-api-key', prefix: j('rubygems', '_'), body: chars(HEX, 48) },
  { ruleId: 'nuget-api-key', prefix: j('oy', '2'), body: chars(LOWER_ALNUM, 43) },
  { ruleId: 'docker-hub-pat', prefix: j('dckr', '_pat_'), body: chars(ALNUM, 27) },
  { ruleId: 'clojars-deploy-token', prefix: j('CLOJARS', '_'), body: chars(LOWER_ALNUM, 60) },
  { ruleId: 'jfrog-api-key', prefix: j('AK', 'Cp'), body: chars(ALNUM, 69) },
  { ruleId: 'jfrog-identity-token', prefix: j('cmVmdGtu', 'OjAxOj'), body: chars(ALNUM, 50), context: env('ARTIFACTORY_TOKEN'), path: '.env', withoutContext: true },
  { ruleId: 'circleci-personal-token', prefix: j('CCI', 'PAT_'), body: (r) => `${r.chars(ALNUM, 22)}_${r.chars(HEX, 40)}` },
  { ruleId: 'buildkite-api-token', prefix: j('bk', 'ua_'), body: chars(HEX, 40) },
  { ruleId: 'travis-ci-token', prefix: '', body: chars(ALNUM, 22), context: env('TRAVIS_API_TOKEN'), path: '.env', withoutContext: true },
  { ruleId: 'sentry-org-token', prefix: j('sntrys', '_eyJ'), body: (r) => `${r.chars(BASE64, 120)}_${r.chars(BASE64, 43)}`, context: env('SENTRY_AUTH_TOKEN'), path: '.env' },
  { ruleId: 'sentry-user-token', prefix: j('sntryu', '_'), body: chars(HEX, 64) },
  { ruleId: 'grafana-cloud-token', prefix: j('gl', 'c_'), body: chars(BASE64, 120) },
  { ruleId: 'grafana-service-account-token', prefix: j('gl', 'sa_'), body: (r) => `${r.chars(ALNUM, 32)}_${r.chars(HEX, 8)}` },
  { ruleId: 'dynatrace-api-token', prefix: j('dt0', 'c01.'), body: (r) => `${r.chars(UPPER_ALNUM, 24)}.${r.chars(UPPER_ALNUM, 64)}` },
  { ruleId: 'new-relic-user-api-key', prefix: j('NR', 'AK-'), body: chars(UPPER_ALNUM, 27) },
  { ruleId: 'new-relic-insert-key', prefix: j('NR', 'II-'), body: chars(ALNUM, 32) },
  { ruleId: 'datadog-api-key', prefix: '', body: chars(HEX, 32), context: env('DD_API_KEY'), path: '.env', withoutContext: true },
  { ruleId: 'postman-api-key', prefix: j('PM', 'AK-'), body: (r) => `${r.chars(HEX, 24)}-${r.chars(HEX, 34)}` },
  { ruleId: 'linear-api-key', prefix: j('lin', '_api_'), body: chars(ALNUM, 40) },
  { ruleId: 'notion-integration-token', prefix: j('nt', 'n_'), body: (r) => `${r.chars(DIGITS, 11)}${r.chars(ALNUM, 35)}` },
  { ruleId: 'figma-pat', prefix: j('fi', 'gd_'), body: chars(ALNUM, 40) },
  { ruleId: 'contentful-pat', prefix: j('CF', 'PAT-'), body: chars(ALNUM, 43) },
  { ruleId: 'hubspot-private-app-token', prefix: j('pat', '-na1-'), body: uuid },
  { ruleId: 'prefect-api-key', prefix: j('pn', 'u_'), body: chars(ALNUM, 36) },
  { ruleId: 'readme-api-key', prefix: j('rd', 'me_'), body: chars(LOWER_ALNUM, 70) },
  { ruleId: 'okta-api-token', prefix: '00', body: chars(ALNUM, 40), context: env('OKTA_API_TOKEN'), path: '.env', withoutContext: true },
  { ruleId: 'mapbox-secret-token', prefix: j('sk.eyJ1', 'Ijoi'), body: (r) => `${r.chars(ALNUM, 60)}.${r.chars(ALNUM, 22)}` },
  { ruleId: 'frameio-api-token', prefix: j('fio', '-u-'), body: chars(ALNUM, 64) },
  { ruleId: 'stripe-secret-key', prefix: j('sk', '_live_'), body: chars(ALNUM, 99), context: (s) => `stripe.api_key = "${s}"` },
  { ruleId: 'stripe-restricted-key', prefix: j('rk', '_live_'), body: chars(ALNUM, 24) },
  { ruleId: 'stripe-webhook-secret', prefix: j('wh', 'sec_'), body: chars(ALNUM, 32), context: env('STRIPE_WEBHOOK_SECRET'), path: '.env' },
  { ruleId: 'square-access-token', prefix: j('EA', 'AA'), body: chars(ALNUM, 60) },
  { ruleId: 'square-oauth-secret', prefix: j('sq0', 'csp-'), body: chars(ALNUM, 43) },
  { ruleId: 'braintree-access-token', prefix: j('access_token', '$production$'), body: (r) => `${r.chars(LOWER_ALNUM, 16)}$${r.chars(HEX, 32)}` },
  { ruleId: 'razorpay-live-key', prefix: j('rzp', '_live_'), body: chars(ALNUM, 14) },
  { ruleId: 'flutterwave-secret-key', prefix: j('FLW', 'SECK-'), body: (r) => `${r.chars(HEX, 32)}-X` },
  ...['access-token:shpat_', 'custom-app-token:shpca_', 'private-app-token:shppa_', 'shared-secret:shpss_'].map((pair) => {
    const [kind, prefix] = pair.split(':') as [string, string];
    return { ruleId: `shopify-${kind}`, prefix, body: chars(HEX, 32) };
  }),
  { ruleId: 'easypost-api-key', prefix: j('EZ', 'AK'), body: chars(ALNUM, 54) },
  { ruleId: 'shippo-live-token', prefix: j('shippo', '_live_'), body: chars(HEX, 40) },
  { ruleId: 'duffel-live-token', prefix: j('duffel', '_live_'), body: chars(ALNUM, 43) },
  { ruleId: 'slack-bot-token', prefix: j('xo', 'xb-'), body: (r) => `${r.chars(DIGITS, 12)}-${r.chars(DIGITS, 13)}-${r.chars(ALNUM, 24)}`, context: env('SLACK_BOT_TOKEN'), path: '.env' },
  { ruleId: 'slack-user-token', prefix: j('xo', 'xp-'), body: (r) => `${r.chars(DIGITS, 12)}-${r.chars(DIGITS, 12)}-${r.chars(DIGITS, 13)}-${r.chars(HEX, 32)}` },
  { ruleId: 'slack-app-token', prefix: j('xa', 'pp-1-'), body: (r) => `A${r.chars(UPPER_ALNUM, 10)}-${r.chars(DIGITS, 13)}-${r.chars(HEX, 64)}` },
  { ruleId: 'slack-config-token', prefix: j('xoxe', '.xoxp-1-'), body: chars(UPPER_ALNUM, 165) },
  { ruleId: 'slack-legacy-token', prefix: j('xo', 'xr-'), body: (r) => `${r.chars(DIGITS, 10)}-${r.chars(ALNUM, 40)}` },
  { ruleId: 'slack-webhook-url', prefix: j('https://hooks', '.slack.com/services/'), body: (r) => `T${r.chars(UPPER_ALNUM, 10)}/B${r.chars(UPPER_ALNUM, 10)}/${r.chars(ALNUM, 24)}`, context: (s) => `  webhook_url: ${s}`, path: 'alerts.yml' },
  { ruleId: 'discord-bot-token', prefix: '', body: (r) => `M${r.chars(ALNUM, 25)}.${r.chars(ALNUM, 6)}.${r.chars(ALNUM, 38)}`, context: env('DISCORD_BOT_TOKEN'), path: '.env', withoutContext: true },
  { ruleId: 'discord-webhook-url', prefix: j('https://discord.com', '/api/webhooks/'), body: (r) => `${r.chars(DIGITS, 18)}/${r.chars(ALNUM, 68)}` },
  { ruleId: 'telegram-bot-token', prefix: '', body: (r) => `${r.chars(DIGITS, 10)}:AA${r.chars(ALNUM, 33)}`, context: env('TELEGRAM_BOT_TOKEN'), path: '.env' },
  {
    ruleId: 'microsoft-teams-webhook-url', prefix: j('https://contoso.webhook', '.office.com/webhookb2/'),
    body: (r) => `${r.uuid()}@${r.uuid()}/IncomingWebhook/${r.chars(LOWER_ALNUM, 32)}/${r.uuid()}`,
  },
  { ruleId: 'twilio-api-key', prefix: 'SK', body: chars(HEX, 32), context: env('TWILIO_API_KEY'), path: '.env', withoutContext: true },
  { ruleId: 'twilio-auth-token', prefix: '', body: chars(HEX, 32), context: env('TWILIO_AUTH_TOKEN'), path: '.env', withoutContext: true },
  { ruleId: 'sendgrid-api-key', prefix: j('S', 'G.'), body: (r) => `${r.chars(ALNUM, 22)}.${r.chars(ALNUM, 43)}` },
  { ruleId: 'mailgun-api-key', prefix: j('ke', 'y-'), body: chars(HEX, 32), context: env('MAILGUN_API_KEY'), path: '.env' },
  { ruleId: 'mailchimp-api-key', prefix: '', body: (r) => `${r.chars(HEX, 32)}-us${r.int(1, 21)}`, context: env('MAILCHIMP_KEY'), path: '.env' },
  { ruleId: 'brevo-api-key', prefix: j('xkey', 'sib-'), body: (r) => `${r.chars(HEX, 64)}-${r.chars(ALNUM, 16)}` },
  { ruleId: 'postmark-server-token', prefix: '', body: uuid, context: env('POSTMARK_SERVER_TOKEN'), path: '.env', withoutContext: true },
  { ruleId: 'vonage-api-secret', prefix: '', body: chars(ALNUM, 16), context: env('VONAGE_API_SECRET'), path: '.env', withoutContext: true },
  { ruleId: 'openai-api-key', prefix: j('sk-', 'proj-'), body: (r) => `${r.chars(ALNUM, 74)}${j('T3Blbk', 'FJ')}${r.chars(ALNUM, 74)}`, context: env('OPENAI_API_KEY'), path: '.env' },
  { ruleId: 'anthropic-api-key', prefix: j('sk-ant', '-api03-'), body: (r) => `${r.chars(ALNUM, 93)}AA`, context: env('ANTHROPIC_API_KEY'), path: '.env' },
  { ruleId: 'anthropic-admin-key', prefix: j('sk-ant', '-admin01-'), body: (r) => `${r.chars(ALNUM, 93)}AA` },
  { ruleId: 'huggingface-token', prefix: j('h', 'f_'), body: chars(LETTERS, 34) },
  { ruleId: 'groq-api-key', prefix: j('gs', 'k_'), body: chars(ALNUM, 52) },
  { ruleId: 'replicate-api-token', prefix: j('r', '8_'), body: chars(ALNUM, 37) },
  { ruleId: 'perplexity-api-key', prefix: j('pp', 'lx-'), body: chars(ALNUM, 48) },
  { ruleId: 'xai-api-key', prefix: j('xa', 'i-'), body: chars(ALNUM, 80) },
  { ruleId: 'cohere-api-key', prefix: '', body: chars(ALNUM, 40), context: env('COHERE_API_KEY'), path: '.env', withoutContext: true },
];

const password = (r: SeededTextRandom) => r.chars(PASSWORD_CHARS, 20);
const urlPassword = (r: SeededTextRandom) => r.chars(`${ALNUM}-_~`, 20);

/** A secret in a template: `{}` marks where it goes. */
function templated(ruleId: string, path: string, template: string, secret: (r: SeededTextRandom) => string, negatives: string[]): SecretSampleGenerator {
  return {
    ruleId,
    truePositive(r) {
      const value = secret(r);
      return { text: `${template.replace('{}', value)}\n`, secret: value, path };
    },
    falsePositives() {
      return negatives.map((text) => ({ text: `${text}\n`, path }));
    },
  };
}

const uriNegatives = (scheme: string) => [
  `DATABASE_URL=${scheme}://app:\${DB_PASSWORD}@db.internal:5432/app`,
  `DATABASE_URL=${scheme}://db.internal:5432/app`,
  `DATABASE_URL=${scheme}://app:<password>@db.internal/app`,
];

const pemHeader = (label: string, end = false) => `-----${end ? 'END' : 'BEGIN'} ${label}-----`;

function pemGenerator(ruleId: string, label: string, bodyBytes: number): SecretSampleGenerator {
  return {
    ruleId,
    truePositive(r) {
      const secret = `${pemHeader(label)}\n${r.base64Lines(bodyBytes, 64)}\n${pemHeader(label, true)}`;
      return { text: `${secret}\n`, secret, path: 'deploy/id_key' };
    },
    falsePositives(r) {
      return [
        { text: `${pemHeader(label)}\n...\n${pemHeader(label, true)}\n`, path: 'docs/keys.md' },
        { text: `${pemHeader(label.replace('PRIVATE', 'PUBLIC'))}\n${r.base64Lines(bodyBytes, 64)}\n${pemHeader(label.replace('PRIVATE', 'PUBLIC'), true)}\n`, path: 'deploy/id_key.pub' },
        { text: `const marker = "${pemHeader(label)}";\n`, path: 'src/keys.ts' },
      ];
    },
  };
}

function base64Url(value: string): string {
  return Buffer.from(value).toString('base64url');
}

const structured: SecretSampleGenerator[] = [
  templated('postgres-uri-password', '.env', 'DATABASE_URL=postgres://app:{}@db.internal:5432/app', urlPassword, uriNegatives('postgres')),
  templated('mysql-uri-password', 'config/database.yml', '  url: mysql://app:{}@mysql.internal:3306/shop', urlPassword, uriNegatives('mysql')),
  templated('mongodb-uri-password', 'src/db.js', 'const uri = "mongodb+srv://app:{}@cluster0.mongodb.net/prod";', urlPassword, uriNegatives('mongodb')),
  templated('amqp-uri-password', '.env', 'BROKER_URL=amqp://worker:{}@rabbit.internal:5672/jobs', urlPassword, uriNegatives('amqp')),
  templated('redis-uri-password', '.env', 'REDIS_URL=redis://:{}@cache.internal:6379/0', urlPassword, uriNegatives('redis')),
  templated('jdbc-password', 'src/main/resources/app.conf', 'db.url = "jdbc:sqlserver://db.internal:1433;databaseName=app;user=app;password={}"', urlPassword, [
    'db.url = "jdbc:sqlserver://db.internal:1433;databaseName=app;integratedSecurity=true"',
    'db.url = "jdbc:postgresql://db.internal/app?user=app&password=${DB_PASSWORD}"',
  ]),
  templated('connection-string-password', 'src/Program.cs', 'var cs = "Server=tcp:db.internal,1433;Database=app;User Id=app;Password={};";', urlPassword, [
    'var cs = "Server=tcp:db.internal,1433;Database=app;Integrated Security=true;";',
    'var cs = "Server=db;Database=app;User Id=app;Password=%DB_PASSWORD%;";',
  ]),
  pemGenerator('private-key-pem', 'RSA PRIVATE KEY', 1190),
  pemGenerator('private-key-openssh', 'OPENSSH PRIVATE KEY', 400),
  pemGenerator('private-key-pgp', 'PGP PRIVATE KEY BLOCK', 900),
  {
    ruleId: 'private-key-putty',
    truePositive(r) {
      const secret =
        `PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\n${r.base64Lines(72, 64)}\n` +
        `Private-Lines: 1\n${r.base64Lines(48, 64)}\n`;
      return { text: `${secret}Private-MAC: ${r.chars(HEX, 64)}\n`, secret, path: 'keys/deploy.ppk' };
    },
    falsePositives() {
      return [{ text: 'PuTTY-User-Key-File-3 is the header of a .ppk file.\n', path: 'docs/ssh.md' }];
    },
  },
  {
    ruleId: 'jwt',
    truePositive(r) {
      const header = base64Url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
      const payload = base64Url(JSON.stringify({ sub: r.uuid(), name: 'deploy-bot', iat: r.int(1.6e9, 1.8e9) }));
      const secret = `${header}.${payload}.${r.chars(BASE64URL, 43)}`;
      return { text: `${inCode(secret)}\n`, secret, path: 'tests/fixtures/session.py' };
    },
    falsePositives() {
      const header = base64Url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
      return [
        { text: `# a JWT starts with ${header}\n`, path: 'docs/auth.md' },
        { text: `${inCode(`${header}.eyJzdWIiOiIxMjM0NTY3ODkwIn0.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`)}\n`, path: 'docs/auth.py' },
      ];
    },
  },
  templated('url-credentials', 'scripts/mirror.sh', 'git remote add mirror https://deploy:{}@git.acme-corp.io/platform/app.git', urlPassword, [
    'git remote add mirror https://git.acme-corp.io/platform/app.git',
    'git remote add mirror https://deploy:${GIT_PASSWORD}@git.acme-corp.io/platform/app.git',
    'curl https://user:****@git.acme-corp.io/x',
  ]),
  templated('secret-assignment-quoted', 'src/settings.py', 'DB_PASSWORD = "{}"', password, [
    'DB_PASSWORD = os.environ["DB_PASSWORD"]',
    'DB_PASSWORD = "changeme"',
    'password = "<your-password>"',
    'const passwordField = "password-input";',
    'api_key = "{{ .Values.apiKey }}"',
  ]),
  templated('secret-assignment-env', '.env', 'DB_PASSWORD={}', password, [
    'DB_PASSWORD=${DB_PASSWORD}',
    'DB_PASSWORD=',
    'SECRET_KEY_BASE=<generate-with-rails-secret>',
    'PASSWORD_MIN_LENGTH=12',
  ]),
  templated(
    'xml-credential', 'settings.xml',
    '<settings>\n  <servers>\n    <server>\n      <id>releases</id>\n      <username>deployer</username>\n      <password>{}</password>\n    </server>\n  </servers>\n</settings>',
    password,
    [
      '<settings><servers><server><id>releases</id><username>deployer</username><password>${env.MAVEN_PASSWORD}</password></server></servers></settings>',
      '<configuration><appSettings><add key="PasswordMinLength" value="12" /></appSettings></configuration>',
    ],
  ),
];

/** Extra true positives for the structured XML detector (web.config shapes). */
export function webConfigSample(r: SeededTextRandom): PlantedSecret {
  const secret = password(r);
  return {
    text: `<configuration>\n  <appSettings>\n    <add key="SmtpPassword" value="${secret}" />\n  </appSettings>\n</configuration>\n`,
    secret,
    path: 'web.config',
  };
}

export const secretSampleGenerators: readonly SecretSampleGenerator[] = [...tokens.map(tokenGenerator), ...structured];
