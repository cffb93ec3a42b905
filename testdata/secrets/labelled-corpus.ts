/**
 * Labelled corpus for the secrets benchmark: realistic source and config files with planted fake
 * secrets of every rule (labels say rule, file and line), plus files of hard negatives (UUIDs, git
 * ids, hashes, base64 images, lockfiles, minified JS, test placeholders, each rule's near misses).
 */
import { secretSampleGenerators, webConfigSample, type PlantedSecret } from './secret-samples.js';
import { ALNUM, BASE64, HEX, LOWER_ALNUM, SeededTextRandom } from './seeded-text-random.js';

export interface SecretLabel {
  ruleId: string;
  line: number;
}

export interface CorpusFile {
  path: string;
  content: string;
  /** Planted secrets; empty for hard negatives. */
  labels: SecretLabel[];
}

const WORDS = ['user', 'order', 'cache', 'item', 'result', 'value', 'client', 'config', 'request', 'handler', 'event', 'queue', 'batch', 'record', 'status'];

function identifier(r: SeededTextRandom): string {
  return `${r.pick(WORDS)}${r.pick(WORDS)[0]!.toUpperCase()}${r.pick(WORDS).slice(1)}`;
}

/** Plausible code or config lines for a file of this kind (no secrets). */
export function fillerLines(r: SeededTextRandom, path: string, count: number): string[] {
  const lines: string[] = [];
  const ext = /\.([a-z]+)$/.exec(path)?.[1] ?? (path.endsWith('.env') ? 'env' : 'txt');
  for (let i = 0; i < count; i++) {
    const name = identifier(r);
    switch (ext) {
      case 'py':
        lines.push(r.pick([`def ${name}(self, ${r.pick(WORDS)}):`, `    return self.${name}.get("${r.pick(WORDS)}", ${r.int(0, 999)})`, `    logger.info("processing %s", ${name})`, `import ${r.pick(WORDS)}`, `    if ${name} is None:`, '']));
        break;
      case 'ts':
      case 'js':
        lines.push(r.pick([`export function ${name}(${r.pick(WORDS)}: string): number {`, `  const ${name} = await fetch(\`/api/${r.pick(WORDS)}/\${id}\`);`, `  return ${name}.map((x) => x.${r.pick(WORDS)});`, '}', `import { ${name} } from './${r.pick(WORDS)}.js';`, `  // TODO: handle ${r.pick(WORDS)} errors`]));
        break;
      case 'yml':
      case 'yaml':
        lines.push(r.pick([`${r.pick(WORDS)}:`, `  ${r.pick(WORDS)}: ${r.int(1, 100)}`, `  image: registry.internal/${r.pick(WORDS)}:${r.int(1, 9)}.${r.int(0, 20)}`, `  - name: ${name}`, `    enabled: ${r.pick(['true', 'false'])}`]));
        break;
      case 'env':
        lines.push(r.pick([`${r.pick(WORDS).toUpperCase()}_HOST=${r.pick(WORDS)}.internal`, `${r.pick(WORDS).toUpperCase()}_PORT=${r.int(1000, 9999)}`, `LOG_LEVEL=${r.pick(['debug', 'info', 'warn'])}`, `# ${r.pick(WORDS)} settings`]));
        break;
      case 'json':
        lines.push(`  "${name}": ${r.pick([`"${r.pick(WORDS)}"`, String(r.int(0, 100)), 'true', 'null'])},`);
        break;
      case 'xml':
      case 'config':
        lines.push(`  <!-- ${r.pick(WORDS)} ${r.pick(WORDS)} -->`);
        break;
      default:
        lines.push(r.pick([`${name} ${r.pick(WORDS)} ${r.pick(WORDS)}.`, `# ${r.pick(WORDS)}`, '']));
    }
  }
  return lines;
}

function plant(r: SeededTextRandom, planted: PlantedSecret, ruleId: string, index: number): CorpusFile {
  const dir = r.pick(['app', 'services/api', 'deploy', 'tools', 'src/lib']);
  const base = planted.path.split('/').pop()!;
  const path = `${dir}/${index}-${base}`;
  const structuredDocument = /\.(xml|config)$/.test(base) || base.startsWith('id_') || base.endsWith('.ppk');
  const before = structuredDocument ? [] : fillerLines(r, path, r.int(3, 40));
  const after = structuredDocument ? [] : fillerLines(r, path, r.int(3, 40));
  const secretOffset = planted.text.indexOf(planted.secret);
  const lineInPlanted = planted.text.slice(0, secretOffset).split('\n').length - 1;
  const content = [...before, planted.text.replace(/\n$/, ''), ...after].join('\n') + '\n';
  return { path, content, labels: [{ ruleId, line: before.length + 1 + lineInPlanted }] };
}

/** Hard negatives that every scanner meets in real repositories. */
export function hardNegativeFiles(r: SeededTextRandom): CorpusFile[] {
  const files: CorpusFile[] = [];
  const none: SecretLabel[] = [];
  const uuids = Array.from({ length: 200 }, () => `  { "id": "${r.uuid()}", "requestId": "${r.uuid()}", "traceId": "${r.chars(HEX, 32)}" },`);
  files.push({ path: 'fixtures/records.json', content: `[\n${uuids.join('\n')}\n]\n`, labels: none });
  const commits = Array.from({ length: 300 }, () => `commit ${r.chars(HEX, 40)}\nMerge: ${r.chars(HEX, 7)} ${r.chars(HEX, 7)}\nsecret rotation job ${r.chars(HEX, 12)}\n`);
  files.push({ path: 'docs/changelog.txt', content: commits.join('\n'), labels: none });
  const sums = Array.from({ length: 300 }, () => `${r.chars(HEX, 64)}  dist/${r.pick(WORDS)}-${r.int(1, 9)}.tar.gz`);
  files.push({ path: 'SHA256SUMS', content: `${sums.join('\n')}\n`, labels: none });
  const images = Array.from({ length: 20 }, () => `.icon-${r.pick(WORDS)} { background: url("data:image/png;base64,iVBORw0KGgo${r.chars(BASE64, 3000)}"); }`);
  files.push({ path: 'web/icons.css', content: `${images.join('\n')}\n`, labels: none });
  const lockEntries = Array.from({ length: 300 }, () => {
    const name = `${r.pick(WORDS)}-${r.chars(LOWER_ALNUM, 5)}`;
    return `    "node_modules/${name}": {\n      "version": "${r.int(0, 9)}.${r.int(0, 30)}.${r.int(0, 30)}",\n      "resolved": "https://registry.npmjs.org/${name}/-/${name}-1.0.0.tgz",\n      "integrity": "sha512-${r.chars(BASE64, 86)}=="\n    },`;
  });
  files.push({ path: 'package-lock.json', content: `{\n  "lockfileVersion": 3,\n  "packages": {\n${lockEntries.join('\n')}\n  }\n}\n`, labels: none });
  const minified = Array.from({ length: 3000 }, () => {
    const a = r.chars('abcdefghijklmnopqrstuvwxyz', 1);
    return r.pick([`function ${a}(${a}){return ${a}.apiKey||"${r.chars(ALNUM, 8)}"}`, `var ${a}=${r.int(0, 9999)};`, `${a}.token=${a}.headers["x-${r.pick(WORDS)}"];`, `"${r.chars(ALNUM, 24)}"`, `${a}.password=${a}.password;`]);
  });
  files.push({ path: 'web/dist/app.min.js', content: `${minified.join('')}\n`, labels: none });
  const placeholders = [
    `AWS_ACCESS_KEY_ID=${['AKIA', 'IOSFODNN7', 'EXAMPLE'].join('')}`,
    `GITHUB_TOKEN=${['gh', 'p_'].join('')}${'x'.repeat(36)}`,
    'GITHUB_TOKEN=${GITHUB_TOKEN}',
    'api_key = "<your-api-key>"',
    'password: "{{ .Values.db.password }}"',
    `STRIPE_KEY=${['sk', '_live_'].join('')}${'0'.repeat(24)}`,
    'DB_PASSWORD=changeme',
    'secret = "REPLACE_ME_WITH_A_SECRET"',
  ];
  files.push({ path: 'tests/fixtures/.env.example', content: `${placeholders.join('\n')}\n`, labels: none });
  let index = 0;
  for (const generator of secretSampleGenerators) {
    for (const negative of generator.falsePositives(r)) {
      files.push({ path: `negatives/${generator.ruleId}/${index++}-${negative.path.split('/').pop()}`, content: negative.text, labels: none });
    }
  }
  return files;
}

/** Every rule planted `copiesPerRule` times in realistic files, plus the hard negatives. */
export function generateLabelledCorpus(seed: number, copiesPerRule = 3): CorpusFile[] {
  const r = new SeededTextRandom(seed);
  const files: CorpusFile[] = [];
  let index = 0;
  for (let copy = 0; copy < copiesPerRule; copy++) {
    for (const generator of secretSampleGenerators) files.push(plant(r, generator.truePositive(r), generator.ruleId, index++));
    files.push(plant(r, webConfigSample(r), 'xml-credential', index++));
  }
  files.push(...hardNegativeFiles(r));
  return files;
}
