// The embedded model of the llm kind: one accept/reject text classifier per task (the classify
// kind's TextClassifier), over the sample's turns with their roles, trained from the label files and
// taught by each decision. A reject with a reason teaches `reject`; ratings and pair decisions teach
// nothing (they say how good, not whether to keep). Its prediction is shown on unreviewed samples
// that look like the rejected ones (index.ts, `llm/looks-rejected`).
import type { Sample as DatasetSample } from '../../dataset';
import { TextClassifier } from '../../model/classifier';
import type { LabelRecord, Prediction, Task } from '../../types';
import type { FolderView } from '../../workspace/folder';
import type { Learner, ModelState } from '../kind';
import { duplicateText, sampleOf } from './assess';

const LABELS = ['accept', 'reject'];
/** Online updates between two yields while training from the files. */
const STEP = 200;

/** What a decision teaches: accept, reject, or nothing. */
export function llmTeaches(record: LabelRecord | undefined): 'accept' | 'reject' | undefined {
  if (!record || record.answer !== 'accept' || record.target || !record.label) return undefined;
  if (record.label === 'accept') return 'accept';
  if (record.label === 'reject' || record.label.startsWith('reject:')) return 'reject';
  return undefined;
}

/** The text the model reads: the conversation with its roles, else the record as written. */
export function modelText(sample: DatasetSample): string {
  try {
    const s = sampleOf(JSON.parse(sample.text));
    return s ? duplicateText(s) : sample.text;
  } catch {
    return sample.text;
  }
}

export class LlmLearner implements Learner {
  private readonly models = new Map<string, { classifier: TextClassifier; version: number }>();

  constructor(private readonly folder: FolderView) {}

  private model(task: Task): { classifier: TextClassifier; version: number } {
    let m = this.models.get(task.name);
    if (!m) this.models.set(task.name, (m = { classifier: new TextClassifier({ labels: LABELS, minExamplesPerLabel: task.model.minExamplesPerLabel, buckets: 1 << 16 }), version: 0 }));
    return m;
  }

  *trainSteps(): Generator<void, void> {
    this.models.clear();
    let n = 0;
    for (const file of this.folder.datasetFiles()) {
      const entry = this.folder.entry(file);
      yield;
      if (!entry || entry.task.kind !== 'llm' || !entry.task.model.enabled) continue;
      const labels = this.folder.labelStore(entry.labelPath).index;
      for (let line = 0; line < entry.dataset.lineCount; line++) {
        const sample = entry.dataset.sampleAt(line);
        if (!sample) continue;
        const label = llmTeaches(labels.current(sample.id, this.folder.annotator));
        if (!label) continue;
        const m = this.model(entry.task);
        m.classifier.update(modelText(sample), label);
        m.version++;
        if (++n % STEP === 0) yield;
      }
    }
  }

  learn(task: Task, sample: DatasetSample, record: LabelRecord): void {
    const label = llmTeaches(record);
    if (task.kind !== 'llm' || !task.model.enabled || !label) return;
    const m = this.model(task);
    m.classifier.update(modelText(sample), label);
    m.version++;
  }

  predict(task: Task, sample: DatasetSample): Prediction | undefined {
    const m = this.models.get(task.name);
    if (!m || m.classifier.coldStart) return undefined;
    const p = m.classifier.predict(modelText(sample));
    return { label: p.label, score: p.score, origin: 'model', coldStart: p.coldStart, scores: p.scores };
  }

  state(task: Task): ModelState {
    const m = this.models.get(task.name);
    const min = task.model.minExamplesPerLabel;
    if (!task.model.enabled) return { state: 'off', reason: 'turned off in loopmark.json', examples: 0, counts: {}, minExamplesPerLabel: min };
    if (!m) return { state: 'cold', examples: 0, counts: {}, minExamplesPerLabel: min };
    return { state: m.classifier.coldStart ? 'cold' : 'ready', examples: m.classifier.examples, counts: m.classifier.counts(), minExamplesPerLabel: min };
  }
}
