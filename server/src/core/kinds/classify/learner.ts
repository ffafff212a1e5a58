// The embedded model in the loop: one classifier per task, trained from the label files at start
// (deterministically, so the model is reproducible from the label files alone) and updated on every
// decision. Predictions are cached per sample until the model changes. A multi-label task gets a
// multi-label classifier (one-vs-rest, per-label threshold) trained on the decisions' sets.
//
// Online state = retrained state: a decision is learned online at once (instant diagnostics), and
// a retrain from all the label files, in their canonical order (time, then id), runs in the
// background and is swapped in when done; the decisions made meanwhile are replayed onto it and
// retrained again. Once the retrains settle, the model is the one a fresh start trains from the
// same files. Why: replaying 48 decisions online in queue order gave "(0.50)" everywhere while a
// restart gave 0.54-0.77 for the same labels (issue 11); a retrain costs 15-220 ms at 1,000
// labels, in steps that yield. The queue ranks with the retrained model.
import type { Sample } from '../../dataset';
import { canonicalSet, labelThresholds, leastSure } from '../../labelSets';
import { runToEnd } from '../../slicer';
import { TextClassifier, type LabeledText } from '../../model/classifier';
import { isRandomDraw } from '../../model/queue';
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

/**
 * Samples whose texts count for the inverse document frequencies, at most (every k-th line of the
 * task's datasets): 20,000 texts take about 0.2 s; a million would take 10 s for the same idf.
 */
const IDF_SAMPLES = 20_000;
/** A background retrain runs in slices of about this many milliseconds between other work. */
const SLICE_MS = 8;

interface TaskModel {
  classifier: TextClassifier;
  /** Bumped on every update; cached predictions of older versions are stale. */
  version: number;
  cache: Map<string, { version: number; text: string; prediction: Prediction }>;
  minExamplesPerLabel: number;
  /** Inverse document frequencies over the task's datasets, counted once per trainAll. */
  idf: Float32Array | undefined;
}

/** A decision learned online while a background retrain ran: replayed onto the retrained model. */
interface Learned {
  text: string;
  label: string | string[];
  random: boolean;
}

interface Retrain {
  /** Decisions learned since this retrain started reading the label files. */
  since: Learned[];
  /** Another decision came in: retrain again once this one is swapped in. */
  again: boolean;
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
  /** While trainSteps runs: the decisions learned meanwhile, per task. */
  private duringTrain: Map<string, Learned[]> | undefined;
  private readonly retrains = new Map<string, Retrain>();
  /** Bumped by trainAll: a background retrain of an older generation is dropped. */
  private generation = 0;
  private idle: Array<() => void> = [];
  /** Called when a retrained model was swapped in (its predictions changed: refresh diagnostics). */
  onRetrained: ((task: Task) => void) | undefined;

  constructor(private readonly project: FolderView) {}

  private newClassifier(task: Task, labels: string[]): TextClassifier {
    return new TextClassifier({
      labels,
      multiLabel: task.multiLabel,
      thresholds: labelThresholds(task),
      minExamplesPerLabel: task.model.minExamplesPerLabel,
      buckets: modelBuckets(labels.length),
    });
  }

  /** A new untrained model of the task (not in use until the caller puts it in `models`). */
  private create(task: Task, labels: string[], idf?: Float32Array): TaskModel | undefined {
    if (labels.length > MAX_MODEL_LABELS) return undefined;
    const classifier = this.newClassifier(task, labels);
    classifier.setIdf(idf);
    return { classifier, version: 0, cache: new Map(), minExamplesPerLabel: task.model.minExamplesPerLabel, idf };
  }

  /** The label set the model of a task starts with: the effective one of its first dataset, else the declared one. */
  private startLabels(task: Task, mine: readonly DatasetEntry[]): string[] {
    return mine.length > 0 ? this.project.effectiveTask(mine[0]!).labels.map((l) => l.name) : task.labels.map((l) => l.name);
  }

  private taskEntries(task: Task): DatasetEntry[] {
    return this.project.datasetFiles().map((f) => this.project.entry(f)).filter((e): e is DatasetEntry => e !== undefined && e.task.name === task.name);
  }

  /** Inverse document frequencies over (a deterministic sample of) the texts of a task's datasets. */
  *idfSteps(task: Task, labels: readonly string[], entries: readonly DatasetEntry[]): Generator<void, Float32Array | undefined> {
    const counter = this.newClassifier(task, [...labels]).documentFrequencies();
    let total = 0;
    for (const e of entries) total += e.dataset.lineCount;
    const stride = Math.max(1, Math.ceil(total / IDF_SAMPLES));
    let at = 0;
    for (const entry of entries) {
      const { dataset } = entry;
      for (let line = 0; line < dataset.lineCount; line++, at++) {
        if (at % stride !== 0) continue;
        const sample = dataset.sampleAt(line);
        if (sample) counter.add(sample.text);
        if (counter.documents % 500 === 0) yield;
      }
    }
    return counter.idf();
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
        // The random stratum of the queue (model/queue.ts): its labels are the ones drawn at random, the calibration's.
        found.push({ time: record!.time, id: sample.id, example: { text: sample.text, label, random: isRandomDraw(sample.id) } });
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
   * Trains in steps (each yields within a few milliseconds): the idf over the task's datasets,
   * then a retrain from all its labels in canonical order. Same files, same model.
   */
  *trainSteps(): Generator<void, void> {
    // The models in use keep answering until their replacement is trained: a retrain after a label
    // file changed on disk left every sample without a prediction for its whole run.
    const trained = new Set<string>();
    // Decisions learned while this runs: replayed onto the new models (they may not be in the label
    // files as they were read; a background retrain then puts them in canonical order).
    const learnedMeanwhile = new Map<string, Learned[]>();
    this.duringTrain = learnedMeanwhile;
    try {
      this.generation++;
      this.retrains.clear();
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
        const labels = this.startLabels(task, mine);
        if (labels.length > MAX_MODEL_LABELS) continue;
        const idf = yield* this.idfSteps(task, labels, mine);
        const model = this.create(task, labels, idf)!;
        const examples = yield* this.exampleSteps(task, mine);
        yield;
        if (examples.length > 0) yield* model.classifier.retrainSteps(examples);
        model.version = (this.models.get(task.name)?.version ?? 0) + 1;
        const meanwhile = learnedMeanwhile.get(task.name) ?? [];
        for (const l of meanwhile) {
          for (const name of typeof l.label === 'string' ? [l.label] : l.label) if (!model.classifier.labels.includes(name)) model.classifier.addLabel(name);
          model.classifier.update(l.text, l.label, { random: l.random });
        }
        this.models.set(task.name, model);
        trained.add(task.name);
        if (meanwhile.length > 0) this.startRetrain(task);
      }
    } finally {
      if (this.duringTrain === learnedMeanwhile) this.duringTrain = undefined;
    }
    for (const name of [...this.models.keys()]) if (!trained.has(name)) this.models.delete(name);
    this.wakeIdle();
  }

  /** Learns one decision at once, so the next diagnostics already reflect it; a retrain from the label files follows in the background. */
  learn(task: Task, sample: Sample, record: LabelRecord): void {
    if (task.kind !== 'classify' || !task.model.enabled) return;
    const label = teaches(task, record);
    if (label === undefined) return;
    let model = this.models.get(task.name);
    if (!model) {
      model = this.create(task, task.labels.map((l) => l.name));
      if (!model) return;
      this.models.set(task.name, model);
    }
    const fresh = (typeof label === 'string' ? [label] : label).filter((l) => !model.classifier.labels.includes(l));
    if (model.classifier.labels.length + fresh.length > MAX_MODEL_LABELS) return;
    for (const l of fresh) model.classifier.addLabel(l);
    const random = isRandomDraw(sample.id);
    model.classifier.update(sample.text, label, { random });
    model.version++;
    const learned = { text: sample.text, label, random };
    if (this.duringTrain) {
      const list = this.duringTrain.get(task.name) ?? [];
      list.push(learned);
      this.duringTrain.set(task.name, list);
      return;
    }
    this.scheduleRetrain(task, learned);
  }

  /** Resolves once no background retrain runs or waits (tests, the CLI). */
  settled(): Promise<void> {
    if (this.retrains.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private wakeIdle(): void {
    if (this.retrains.size > 0) return;
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }

  private scheduleRetrain(task: Task, learned: Learned): void {
    const running = this.retrains.get(task.name);
    if (running) {
      running.since.push(learned);
      running.again = true;
      return;
    }
    this.startRetrain(task);
  }

  /**
   * Retrains a fresh classifier of the task from the label files in slices of SLICE_MS between
   * other work, then swaps it in, replays the decisions learned meanwhile onto it, and retrains
   * again if there were any (their order in the files is the canonical one, not their arrival).
   */
  private startRetrain(task: Task): void {
    const job: Retrain = { since: [], again: false };
    this.retrains.set(task.name, job);
    const generation = this.generation;
    const steps = this.rebuildSteps(task);
    const slice = (): void => {
      if (generation !== this.generation) return; // trainAll started afresh
      const deadline = Date.now() + SLICE_MS;
      let step: IteratorResult<void, TaskModel | undefined>;
      try {
        do step = steps.next();
        while (!step.done && Date.now() < deadline);
      } catch {
        // A dataset that changed under the retrain: the online model stays; the next decision retrains.
        this.retrains.delete(task.name);
        this.wakeIdle();
        return;
      }
      if (!step.done) {
        setImmediate(slice);
        return;
      }
      const rebuilt = step.value;
      const current = this.models.get(task.name);
      this.retrains.delete(task.name);
      if (rebuilt && current) {
        for (const l of job.since) rebuilt.classifier.update(l.text, l.label, { random: l.random });
        rebuilt.version = current.version + 1;
        this.models.set(task.name, rebuilt);
        this.onRetrained?.(task);
      }
      if (job.again) this.startRetrain(task);
      else this.wakeIdle();
    };
    setImmediate(slice);
  }

  /** A new model of the task trained from its label files (the idf of the current one), or undefined. */
  private *rebuildSteps(task: Task): Generator<void, TaskModel | undefined> {
    const current = this.models.get(task.name);
    if (!current) return undefined;
    const mine = this.taskEntries(task);
    // the labels a fresh start begins with, in its order, then any a decision added since
    const labels = this.startLabels(task, mine);
    for (const l of current.classifier.labels) if (!labels.includes(l)) labels.push(l);
    const classifier = this.newClassifier(task, labels);
    classifier.setIdf(current.idf);
    const examples = yield* this.exampleSteps(task, mine);
    yield* classifier.retrainSteps(examples);
    return { classifier, version: 0, cache: new Map(), minExamplesPerLabel: current.minExamplesPerLabel, idf: current.idf };
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
