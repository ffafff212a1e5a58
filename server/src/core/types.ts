// The nouns of Loopmark, shared by the server, the CLI and the tests. No `vscode`, no LSP.


/** A label of a task's label set; the description is the annotation guideline. */
export interface LabelDef {
  name: string;
  description?: string;
  /** Multi-label tasks: the probability from which the model puts this label in the set (default 0.5). */
  threshold?: number;
}

/** Which prediction wins when a dataset has both file predictions and the embedded model's. */
export type PredictorPreference = 'file' | 'model';

export type QueueStrategy = 'uncertainty' | 'margin' | 'entropy' | 'disagreement' | 'random' | 'file-order';

/** A task as resolved from loopmark.json (or inferred), with every default filled in. */
export interface Task {
  name: string;
  /** The name of the task's kind (kinds/registry.ts): `classify`, ... */
  kind: string;
  /** Globs relative to the workspace root, matched against dataset paths. */
  files: string[];
  labels: LabelDef[];
  /** Dotted path of the text in a record. */
  textField: string;
  /** Dotted path of the id in a record. */
  idField: string;
  /** Below this score an unlabeled sample needs review (Warning); at or above, it is a suggestion. */
  threshold: number;
  multiLabel: boolean;
  /** Template of the label file path, relative to the workspace root. */
  labelFile: string;
  /** Template of the predictions sidecar path, relative to the workspace root. */
  predictionsFile: string;
  prefer: PredictorPreference;
  model: { enabled: boolean; minExamplesPerLabel: number };
  /** `randomDraws`: the share of the queue drawn at random (0 to 0.5; 0: the plain ranking; absent: 0.2). */
  queue: { strategy: QueueStrategy; randomDraws?: number };
  /** True when no loopmark.json declared this task. */
  inferred: boolean;
  /** The kind's own settings (its fields in loopmark.json, parsed by the kind), when it has any. */
  settings?: unknown;
}

/** What a label belongs to: the whole record (absent), a span of text, or a turn of a conversation. */
export type LabelTarget =
  | { kind: 'span'; start: number; end: number }
  | { kind: 'turn'; index: number };

export type Answer = 'accept' | 'reject' | 'ignore';
/** Every answer, in the order help texts list them. */
export const ANSWERS: readonly Answer[] = ['accept', 'reject', 'ignore'];

/** How the label came about: an accepted prediction, a corrected prediction, or a label with no prediction. */
export type LabelSource = 'prediction' | 'correction' | 'manual';
export const LABEL_SOURCES: readonly LabelSource[] = ['prediction', 'correction', 'manual'];

/**
 * One line of a label file: one annotator's decision on one sample (or part of it). It holds exactly
 * one of `label` (single-label tasks) and `labels` (multi-label tasks: the complete set the annotator
 * chose, sorted and unique; labels left out are negatives, and an empty set says none applies).
 */
export interface LabelRecord {
  id: string;
  label?: string;
  labels?: string[];
  answer: Answer;
  annotator: string;
  time: string;
  source: LabelSource;
  /** The prediction's score when the decision was taken on a prediction. */
  score?: number;
  target?: LabelTarget;
}

/** A model's or a file's opinion on a sample. */
export interface Prediction {
  /** The predicted label; for a set prediction its most probable label ('' when nothing is known). */
  label: string;
  /**
   * The confidence of the prediction: the probability of `label`, or for a set prediction that of the
   * least sure label (min over labels of max(p, 1 - p)), so a threshold means the same for both.
   */
  score: number;
  /** Multi-label: the predicted set (labels at or above their threshold; may be empty). */
  labels?: string[];
  /** Where it came from: `file` (record or sidecar) or `model` (the embedded model). */
  origin: 'file' | 'model';
  modelVersion?: string;
  /** The embedded model has too few examples per label to be trusted yet. */
  coldStart?: boolean;
  /** Probability per label, when the predictor gives them. */
  scores?: Record<string, number>;
  /** A set prediction: the label whose certainty is the set's score (see labelSets.leastSure). */
  leastSure?: string;
}

/** A problem with a line of input, in the words a user needs to fix it. */
export interface LineProblem {
  line: number;
  /** Character range on the line, when known. */
  start?: number;
  end?: number;
  message: string;
}
