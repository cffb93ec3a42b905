import type { CompiledRuleSet } from './compiled-rules.js';
import type { SecretFinding } from './finding.js';
import type { FileScanResult } from './secret-scanner.js';

export type ScanReportFormat = 'text' | 'json' | 'sarif';
export const SCAN_REPORT_FORMATS: readonly ScanReportFormat[] = ['text', 'json', 'sarif'];

export interface ScanSummary {
  files: number;
  findings: number;
  allowed: number;
  skipped: number;
  /** Files with a part that could not be read (an encrypted or oversized archive entry). */
  unscanned: number;
}

export function summarize(results: readonly FileScanResult[]): ScanSummary {
  const findings = results.flatMap((r) => r.findings);
  return {
    files: results.length,
    findings: findings.filter((f) => f.status === 'detected').length,
    allowed: findings.filter((f) => f.status === 'allowed').length,
    skipped: results.filter((r) => r.skipped !== undefined).length,
    unscanned: results.filter((r) => r.unscanned !== undefined).length,
  };
}

function textReport(results: readonly FileScanResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    for (const f of result.findings) {
      const where = `${f.path}:${f.line}:${f.column}${f.commit ? ` (${f.commit.slice(0, 12)})` : ''}`;
      lines.push(`${where}  ${f.ruleId}  ${f.severity}  ${f.preview}${f.status === 'allowed' ? '  [allowed by gitgate:allow]' : ''}`);
    }
    if (result.skipped) lines.push(`${result.path}: skipped (${result.skipped})`);
    if (result.truncatedFindings) lines.push(`${result.path}: stopped after ${result.findings.length} finding(s); the file may hold more`);
    if (result.unscanned) lines.push(`not read whole: ${result.unscanned}`);
  }
  const s = summarize(results);
  lines.push(`${s.findings} secret(s) found, ${s.allowed} allowed, in ${s.files} file(s); ${s.skipped} skipped${s.unscanned > 0 ? `; ${s.unscanned} not read whole` : ''}`);
  return `${lines.join('\n')}\n`;
}

const SARIF_LEVEL: Record<SecretFinding['severity'], 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
};

function sarifReport(results: readonly FileScanResult[], ruleSet: CompiledRuleSet): unknown {
  const findings = results.flatMap((r) => r.findings);
  const usedRules = new Set(findings.map((f) => f.ruleId));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'gitgate',
            informationUri: 'https://github.com/gitgate/gitgate',
            rules: ruleSet.rules
              .filter((r) => usedRules.has(r.id))
              .map((r) => ({
                id: r.id,
                shortDescription: { text: r.description },
                defaultConfiguration: { level: SARIF_LEVEL[r.severity] },
                properties: { category: r.category, tags: [...r.tags] },
              })),
          },
        },
        results: findings.map((f) => ({
          ruleId: f.ruleId,
          level: SARIF_LEVEL[f.severity],
          message: { text: `${f.description}: ${f.preview}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.path },
                region: { startLine: f.line, startColumn: f.column },
              },
            },
          ],
          partialFingerprints: { 'gitgateSecret/v1': f.fingerprint },
          ...(f.commit ? { properties: { commit: f.commit } } : {}),
          ...(f.status === 'allowed' ? { suppressions: [{ kind: 'inSource', justification: 'gitgate:allow' }] } : {}),
        })),
      },
    ],
  };
}

/** Renders scan results; none of the formats contains a secret value. */
export function renderScanReport(format: ScanReportFormat, results: readonly FileScanResult[], ruleSet: CompiledRuleSet): string {
  if (format === 'text') return textReport(results);
  if (format === 'sarif') return `${JSON.stringify(sarifReport(results, ruleSet), null, 2)}\n`;
  const truncated = results.filter((r) => r.truncatedFindings).map((r) => r.path);
  const unscanned = results.flatMap((r) => (r.unscanned === undefined ? [] : [{ path: r.path, reason: r.unscanned }]));
  const payload = {
    summary: summarize(results),
    findings: results.flatMap((r) => r.findings),
    skipped: results.filter((r) => r.skipped).map((r) => ({ path: r.path, reason: r.skipped, bytes: r.bytes })),
    // Files whose scan stopped at maxFindingsPerFile: they may hold more than their findings.
    ...(truncated.length > 0 ? { truncated } : {}),
    // Files with a part that could not be read, and why: the gateway refuses them.
    ...(unscanned.length > 0 ? { unscanned } : {}),
  };
  return `${JSON.stringify(payload, null, 2)}\n`;
}
