import type { CorpusFile } from './labelled-corpus.js';

export interface FoundSecret {
  path: string;
  ruleId: string;
  line: number;
  category: string;
}

export interface CategoryScore {
  category: string;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  f1: number;
}

/**
 * Scores findings against the labels: a finding is a true positive when a label has the same
 * file, rule and line; other findings are false positives (in the finding's category), unmatched
 * labels are false negatives (in the label's category).
 */
export function scoreByCategory(corpus: readonly CorpusFile[], found: readonly FoundSecret[], categoryOf: (ruleId: string) => string): CategoryScore[] {
  const counts = new Map<string, { tp: number; fp: number; fn: number }>();
  const bucket = (category: string) => {
    let entry = counts.get(category);
    if (!entry) counts.set(category, (entry = { tp: 0, fp: 0, fn: 0 }));
    return entry;
  };
  const labels = new Set<string>();
  for (const file of corpus) for (const label of file.labels) labels.add(`${file.path}\0${label.ruleId}\0${label.line}`);
  const matched = new Set<string>();
  for (const finding of found) {
    const key = `${finding.path}\0${finding.ruleId}\0${finding.line}`;
    if (labels.has(key) && !matched.has(key)) {
      matched.add(key);
      bucket(finding.category).tp++;
    } else {
      bucket(finding.category).fp++;
    }
  }
  for (const file of corpus) {
    for (const label of file.labels) {
      if (!matched.has(`${file.path}\0${label.ruleId}\0${label.line}`)) bucket(categoryOf(label.ruleId)).fn++;
    }
  }
  const scores = [...counts.entries()].map(([category, c]) => score(category, c.tp, c.fp, c.fn));
  const total = [...counts.values()].reduce((a, c) => ({ tp: a.tp + c.tp, fp: a.fp + c.fp, fn: a.fn + c.fn }), { tp: 0, fp: 0, fn: 0 });
  return [...scores.sort((a, b) => a.category.localeCompare(b.category)), score('all', total.tp, total.fp, total.fn)];
}

function score(category: string, tp: number, fp: number, fn: number): CategoryScore {
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { category, truePositives: tp, falsePositives: fp, falseNegatives: fn, precision, recall, f1 };
}
