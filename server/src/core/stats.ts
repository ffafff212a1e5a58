// Counts of a dataset's samples and labels, for `loopmark stats` and CI.
import { annotatorProgress, type AnnotatorProgress } from './agreement/progress';
import { recordLabels } from './labelSets';
import { toRelative } from './paths';
import type { Project } from './workspace/project';

export interface Stats {
  task: string;
  samples: number;
  labeled: number;
  unlabeled: number;
  /** Lines that are not usable samples (invalid JSON, no text...). */
  invalidLines: number;
  labelFile: string;
  /**
   * Decisions per label, split by answer. Every annotator's decisions count. A set (multi-label) counts
   * for each of its labels, so these add up to more than the decisions.
   */
  labels: Record<string, { accept: number; reject: number; ignore: number }>;
  /** Multi-label tasks: decisions whose set is empty ("none of the labels"), split by answer. */
  emptySets?: { accept: number; reject: number; ignore: number };
  /** Decisions by answer: one per decision, whatever the size of its set. */
  answers: { accept: number; reject: number; ignore: number };
  annotators: Record<string, number>;
  /** Sample ids with labels that no record of the dataset has any more (labels kept, reported). */
  orphaned?: number;
  /** What each annotator has done: labeled (accepted, corrected), skipped. */
  progress: Record<string, AnnotatorProgress>;
}

export function datasetStats(project: Project, file: string): Stats {
  const entry = project.entry(file);
  if (!entry) throw new Error(`${file} is not a dataset`);
  const index = project.labelStore(entry.labelPath).index;
  const stats: Stats = {
    task: entry.task.name,
    samples: 0,
    labeled: 0,
    unlabeled: 0,
    invalidLines: 0,
    labelFile: toRelative(project.root, entry.labelPath),
    // Null-prototype records: label and annotator names come from files (`__proto__` is a name too).
    labels: Object.create(null) as Stats['labels'],
    answers: { accept: 0, reject: 0, ignore: 0 },
    annotators: Object.create(null) as Stats['annotators'],
    progress: {},
  };
  for (const label of project.effectiveTask(entry).labels) stats.labels[label.name] = { accept: 0, reject: 0, ignore: 0 };
  if (entry.task.multiLabel) stats.emptySets = { accept: 0, reject: 0, ignore: 0 };
  const seen = new Set<string>();
  const { dataset } = entry;
  for (let line = 0; line < dataset.lineCount; line++) {
    const id = dataset.idAt(line);
    if (id === undefined) {
      if (dataset.lineKind(line) === 'error') stats.invalidLines++;
      continue;
    }
    stats.samples++;
    const decisions = index.of(id).filter((r) => !r.target);
    if (decisions.length === 0) {
      stats.unlabeled++;
      continue;
    }
    stats.labeled++;
    if (seen.has(id)) continue; // a duplicate id shares its labels; count them once
    seen.add(id);
    for (const r of decisions) {
      const labels = recordLabels(r);
      for (const label of labels) (stats.labels[label] ??= { accept: 0, reject: 0, ignore: 0 })[r.answer]++;
      if (labels.length === 0) (stats.emptySets ??= { accept: 0, reject: 0, ignore: 0 })[r.answer]++;
      stats.answers[r.answer]++;
      stats.annotators[r.annotator] = (stats.annotators[r.annotator] ?? 0) + 1;
    }
  }
  const orphaned = project.orphanedLabels(entry).length;
  if (orphaned > 0) stats.orphaned = orphaned;
  stats.progress = Object.fromEntries(annotatorProgress([...index.all()].flat(), (id) => dataset.firstLineOf(id) !== undefined));
  return stats;
}

export function formatStats(name: string, s: Stats): string {
  const width = Math.max(s.emptySets ? 9 : 5, ...Object.keys(s.labels).map((l) => l.length));
  const rows = Object.entries(s.labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, c]) => `  ${label.padEnd(width)}  ${String(c.accept).padStart(7)}  ${String(c.reject).padStart(7)}  ${String(c.ignore).padStart(7)}`);
  return [
    `${name} (task ${s.task})`,
    `  samples ${s.samples}, labeled ${s.labeled}, unlabeled ${s.unlabeled}${s.invalidLines ? `, invalid lines ${s.invalidLines}` : ''}`,
    ...(s.orphaned ? [`  ${s.orphaned} labeled sample ids are no longer in the dataset (their labels are kept: see the warnings on ${s.labelFile})`] : []),
    `  ${'label'.padEnd(width)}  ${'accept'.padStart(7)}  ${'reject'.padStart(7)}  ${'ignore'.padStart(7)}`,
    ...rows,
    ...(s.emptySets ? [`  ${'{}'.padEnd(width)}  ${String(s.emptySets.accept).padStart(7)}  ${String(s.emptySets.reject).padStart(7)}  ${String(s.emptySets.ignore).padStart(7)}  (empty set: none of the labels)`] : []),
    `  ${(s.emptySets ? 'decisions' : 'total').padEnd(width)}  ${String(s.answers.accept).padStart(7)}  ${String(s.answers.reject).padStart(7)}  ${String(s.answers.ignore).padStart(7)}`,
    ...Object.entries(s.progress).map(([who, p]) => `  annotator ${who}: labeled ${p.labeled} (accepted ${p.accepted}, corrected ${p.corrected}), skipped ${p.skipped}`),
    '',
  ].join('\n');
}
