// The review queue: the unlabeled samples of a task, across its datasets, in the order that teaches
// the model most (or the order the task asks for).
import { topN, type QueueCandidate, type ScoredPrediction } from './model/queue';
import type { DatasetEntry, Project } from './project';
import type { Prediction, Task } from './types';

export interface QueueItem {
  path: string;
  line: number;
  sampleId: string;
  text: string;
  /** The prediction shown for the sample (the task's preferred one). */
  prediction?: Prediction;
  model?: Prediction;
  file?: Prediction;
}

function scored(p: Prediction): ScoredPrediction {
  return { label: p.label, score: p.score, scores: p.scores ?? { [p.label]: p.score }, ...(p.coldStart ? { coldStart: true } : {}) };
}

/**
 * The first `n` samples to review in a task, excluding `skip` (`path#line` keys). With no model
 * prediction, the file prediction stands in, so uncertainty ranking works before the model learns.
 */
export function reviewQueue(project: Project, task: Task, n: number, options: { skip?: ReadonlySet<string>; seed?: number; isCancelled?: () => boolean } = {}): QueueItem[] {
  const entries = project
    .datasetFiles()
    .map((f) => project.entry(f))
    .filter((e): e is DatasetEntry => e !== undefined && e.task.name === task.name);
  const candidates: QueueCandidate[] = [];
  const items = new Map<string, QueueItem>();
  let order = 0;
  for (const entry of entries) {
    const index = project.labelStore(entry.labelPath).index;
    const { dataset } = entry;
    for (let line = 0; line < dataset.lineCount; line++) {
      if ((line & 1023) === 0 && options.isCancelled?.()) return [];
      const sample = dataset.sampleAt(line);
      if (!sample || index.current(sample.id, project.annotator)) continue;
      const key = `${entry.path}#${line}`;
      order++;
      if (options.skip?.has(key)) continue;
      const { file, model, shown } = project.predictions(entry, sample);
      const candidate: QueueCandidate = { key, order };
      const modelLike = model ?? file;
      if (modelLike) candidate.model = scored(modelLike);
      if (file && model) candidate.file = { label: file.label, score: file.score };
      candidates.push(candidate);
      items.set(key, {
        path: entry.path, line, sampleId: sample.id, text: sample.text,
        ...(shown ? { prediction: shown } : {}), ...(model ? { model } : {}), ...(file ? { file } : {}),
      });
    }
  }
  const strategy = task.queue.strategy;
  return topN(candidates, strategy, n, { seed: options.seed ?? 0 }).map((key) => items.get(key)!);
}
