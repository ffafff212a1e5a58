// The embedded model in the loop: one classifier per task, trained from the label files at start
// (deterministically, so the model is reproducible from the label files alone) and updated on every
// decision. Predictions are cached per sample until the model changes. A multi-label task gets a
// multi-label classifier (one-vs-rest, per-label threshold) trained on the decisions' sets.
import type { Sample } from '../../dataset';
import { canonicalSet, labelThresholds, leastSure } from '../../labelSets';
import { runToEnd } from '../../slicer';
import { TextClassifier, type LabeledText } from '../../model/classifier';
import type { DatasetEntry, FolderView, Predictor } from '../../workspace/folder';
import type { LabelRecord, Prediction, Task } from '../../types';
import type { Learner as KindLearner, ModelState } from '../kind';
import { labelNames } from './data';

/** The embedded model serves label sets up to this size; beyond, it stays off and says why. */
export const MAX_MODEL_LABELS = 500;
/** Weights budget: the hash space shrinks as labels grow (one float per bucket and label). */
const MODEL_BYTES = 48 << 20;
/**
 * A prediction reads some 430 scattered weight rows of a 500-character text. While the table stays
 * near 4 MB most reads come from cache; past that each waits for memory (15 labels, measured: 2^18
 * buckets, 15 MB, 23 us a prediction; 2^16 buckets, 4 MB, 19 us, for 0.4-0.9 points of macro-F1 on
 * the 15 Brown genres). So the hash space shrinks as labels grow, to keep the table near 4 MB, down
 * to 2^14 buckets; past 64 labels the 48 MB budget decides.
 */
const FAST_TABLE_BYTES = 4 << 20;
const MIN_FAST_BUCKETS = 1 << 14;

/** Hash buckets of the embedded model of a task with `labels` labels. */
export function modelBuckets(labels: number): number {
  const bytesPerBucket = Math.max(1, labels) * 4;
  let buckets = 1 << 18;
  while (buckets > MIN_FAST_BUCKETS && buckets * bytesPerBucket > FAST_TABLE_BYTES) buckets >>= 1;
  while (buckets > 1 << 12 && buckets * bytesPerBucket > MODEL_BYTES) buckets >>= 1;
  return buckets;
}

/** Tasks with at most this many labels are retrained in one go at start. */
const RETRAIN_LIMIT = 2000;
/** Online updates between two yields. */
const STEP = 200;

interface TaskModel {
  classifier: TextClassifier;
  /** Bumped on every update; cached predictions of older versions are stale. */
  version: number;
  cache: Map<string, { version: number; text: string; prediction: Prediction }>;
  minExamplesPerLabel: number;
}

/**
 * The example a decision teaches, or undefined (a skip teaches nothing; a reject only says "not this").
 * In a multi-label task the whole set, closed world: even an empty set teaches that no label applies.
 */
function teaches(task: Task, record: LabelRecord | undefined): string | string[] | undefined {
  if (!record || record.answer !== 'accept' || record.target) return undefined;
  // A declared task learns its own labels only: a label outside its set is an error on that sample
  // (until loopmark.json or the label changes), not an example to spread to similar samples.
  const known = task.inferred ? undefined : labelNames(task);
  if (task.multiLabel) {
    const set = record.labels ?? (record.label ? [record.label] : undefined);
    return set && known ? set.filter((l) => known.has(l)) : set;
  }
  return record.label && (!known || known.has(record.label)) ? record.label : undefined;
}

export class Learner implements Predictor, KindLearner {
  private models = new Map<string, TaskModel>();

  constructor(private readonly project: FolderView) {}

  private create(task: Task, labels: string[]): TaskModel | undefined {
    if (labels.length > MAX_MODEL_LABELS) return undefined;
    const model: TaskModel = {
      classifier: new TextClassifier({
        labels,
        multiLabel: task.multiLabel,
        thresholds: labelThresholds(task),
        minExamplesPerLabel: task.model.minExamplesPerLabel,
        buckets: modelBuckets(labels.length),
      }),
      version: 0,
      cache: new Map(),
      minExamplesPerLabel: task.model.minExamplesPerLabel,
    };
    this.models.set(task.name, model);
    return model;
  }

  /** The labeled examples of a task across its datasets, in the order of the decisions (time, then id). */
  examples(task: Task, entries: Iterable<DatasetEntry>): LabeledText[] {
    return runToEnd(this.exampleSteps(task, entries));
  }

  *exampleSteps(task: Task, entries: Iterable<DatasetEntry>): Generator<void, LabeledText[]> {
    const found: Array<{ time: string; id: string; example: LabeledText }> = [];
    const seen = new Set<string>();
    for (const entry of entries) {
      if (entry.task.name !== task.name) continue;
      // Each file's label store may be read from disk: a step per file, whatever its size.
      yield;
      const index = this.project.labelStore(entry.labelPath).index;
      const { dataset } = entry;
      for (let line = 0; line < dataset.lineCount; line++) {
        if ((line + 1) % 2_000 === 0) yield;
        // The id comes from the index; the text is read only for labeled samples.
        const id = dataset.idAt(line);
        if (id === undefined || seen.has(id)) continue;
        const record = index.current(id, this.project.annotator);
        const label = teaches(task, record);
        if (label === undefined) continue;
        const sample = dataset.sampleAt(line);
        if (!sample) continue;
        seen.add(sample.id);
        found.push({ time: record!.time, id: sample.id, example: { text: sample.text, label } });
      }
    }
    found.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return found.map((f) => f.example);
  }

  /** Trains every task's model from scratch from the label files. Same files, same model. */
  trainAll(): void {
    runToEnd(this.trainSteps());
  }

  /**
   * Trains in steps. Up to RETRAIN_LIMIT examples a task is retrained in one go (several epochs,
   * best from few labels); beyond, the examples are learned online in steps of STEP, so a server
   * with 100,000 labels keeps answering while it trains. Either way: same files, same model.
   */
  *trainSteps(): Generator<void, void> {
    this.models.clear();
    // One file a step: 5,000 small files read in one go held the event loop for seconds.
    const entries: DatasetEntry[] = [];
    for (const file of this.project.datasetFiles()) {
      const entry = this.project.entry(file);
      if (entry) entries.push(entry);
      yield;
    }
    for (const task of this.project.config.tasks) {
      if (task.kind !== 'classify' || !task.model.enabled) continue;
      const mine = entries.filter((e) => e.task.name === task.name);
      const labels = mine.length > 0 ? this.project.effectiveTask(mine[0]!).labels.map((l) => l.name) : task.labels.map((l) => l.name);
      const model = this.create(task, labels);
      if (!model) continue;
      const examples = yield* this.exampleSteps(task, mine);
      yield;
      if (examples.length <= RETRAIN_LIMIT) {
        if (examples.length > 0) model.classifier.retrain(examples);
        continue;
      }
      for (let i = 0; i < examples.length; i++) {
        model.classifier.update(examples[i]!.text, examples[i]!.label);
        if ((i + 1) % STEP === 0) {
          model.version++;
          yield;
        }
      }
      model.version++;
    }
  }

  /** Learns one decision at once, so the next diagnostics already reflect it. */
  learn(task: Task, sample: Sample, record: LabelRecord): void {
    if (task.kind !== 'classify' || !task.model.enabled) return;
    const label = teaches(task, record);
    if (label === undefined) return;
    const model = this.models.get(task.name) ?? this.create(task, task.labels.map((l) => l.name));
    if (!model) return;
    const fresh = (typeof label === 'string' ? [label] : label).filter((l) => !model.classifier.labels.includes(l));
    if (model.classifier.labels.length + fresh.length > MAX_MODEL_LABELS) return;
    for (const l of fresh) model.classifier.addLabel(l);
    model.classifier.update(sample.text, label);
    model.version++;
  }

  predict(task: Task, sample: Sample): Prediction | undefined {
    const model = this.models.get(task.name);
    if (!model || model.classifier.examples === 0) return undefined;
    const cached = model.cache.get(sample.id);
    if (cached && cached.version === model.version && cached.text === sample.text) return cached.prediction;
    const p = model.classifier.predict(sample.text);
    const prediction: Prediction = { label: p.label, score: p.score, origin: 'model', coldStart: p.coldStart, scores: p.scores };
    if (p.labels) {
      // A set is as sure as its least sure label, each judged against its own threshold: the
      // confidence the task's review threshold is compared to.
      prediction.labels = canonicalSet(p.labels);
      const thresholds = labelThresholds(task);
      const worst = leastSure(p.scores, (label) => thresholds[label] ?? 0.5);
      prediction.score = worst?.certainty ?? 1;
      if (worst) prediction.leastSure = worst.label;
    }
    model.cache.set(sample.id, { version: model.version, text: sample.text, prediction });
    return prediction;
  }

  version(task: Task): number {
    return this.models.get(task.name)?.version ?? -1;
  }

  state(task: Task): ModelState {
    const model = this.models.get(task.name);
    if (!task.model.enabled || !model) {
      const reason = !task.model.enabled
        ? 'turned off in loopmark.json'
        : task.labels.length > MAX_MODEL_LABELS ? `the label set has ${task.labels.length} labels, more than the embedded model serves (${MAX_MODEL_LABELS})` : 'not trained yet';
      return { state: 'off', reason, examples: 0, counts: {}, minExamplesPerLabel: task.model.minExamplesPerLabel };
    }
    const { classifier } = model;
    return {
      state: classifier.examples === 0 || classifier.coldStart ? 'cold' : 'ready',
      examples: classifier.examples,
      counts: classifier.counts(),
      minExamplesPerLabel: model.minExamplesPerLabel,
    };
  }
}
