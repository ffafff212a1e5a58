// What a task kind is: the one interface a kind of annotation (classify, spans, llm, ...) implements
// to plug into Loopmark. The workspace, the language server and the CLI know only this interface and
// the registry; none of them knows which kinds exist. A kind is one folder under kinds/.
import type { Sample } from '../dataset';
import type { Answer, LabelDef, LabelRecord, LabelSource, LabelTarget, Prediction, Task } from '../types';
import type { FolderView } from '../workspace/folder';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/**
 * Carried in a finding (and so in a diagnostic's `data`): the kind's own data, from which its actions
 * are built. Never re-parsed from message text. `sampleId` names the sample it is about.
 */
export interface FindingData {
  sampleId: string;
  [key: string]: unknown;
}

/** Something the user is told about a place in a file: a diagnostic in an editor, a line in the CLI. */
export interface Finding {
  /** Typed code: a kind's own (`review`, ...) or the workspace's (`invalid-json`, `duplicate-id`, ...). */
  code: string;
  severity: Severity;
  line: number;
  start: number;
  end: number;
  message: string;
  data?: FindingData;
  /** Another place in the same file the finding is about (the sample a duplicate repeats). */
  related?: { line: number; start: number; end: number; message: string };
}

/**
 * What a user chose about a sample (or a part of it, `target`): the payload a client sends. The
 * server decides the rest: who, when, and the `source` when the client does not say.
 */
export interface Decision {
  sampleId: string;
  label?: string;
  labels?: string[];
  answer: Answer;
  source?: LabelSource;
  score?: number;
  target?: LabelTarget;
}

/** A quick fix: a decision to write, or (no decision) the label picker for the sample. */
export interface Action {
  title: string;
  isPreferred: boolean;
  decision?: Decision;
  /** A change of the dataset itself (redact, strip, swap, drop): ranges on the lines of the finding's file. */
  edit?: LineTextEdit[];
}

/** One replacement of characters [start, end) on a line of the file. */
export interface LineTextEdit {
  line: number;
  start: number;
  end: number;
  newText: string;
}

/** The predictions of a sample: the file's (record or sidecar), the predictor's, and the one shown. */
export interface SamplePredictions {
  file?: Prediction;
  model?: Prediction;
  shown?: Prediction;
}

/** One record of a dataset with what is known about it: the unit every kind assesses. */
export interface RecordUnit {
  line: number;
  sample: Sample;
  /** The current annotator's decision on the whole record, else the latest. */
  current?: LabelRecord;
  /** Every decision on the record and its parts, by every annotator. */
  labels: readonly LabelRecord[];
  predictions: SamplePredictions;
  /** The line's text: kinds that point inside a record locate their ranges in it. */
  lineText: string;
  /** The range of the record's text on its line (computed on demand: it scans the line). */
  textRange(): { start: number; end: number };
  /** The dataset the record is in (one object per dataset while it is open): for dataset-wide checks. */
  dataset?: DatasetLines;
}

/** What a kind may read of a whole dataset. */
export interface DatasetLines {
  readonly lineCount: number;
  lineText(line: number): string;
}

/** What a hover shows of a record. */
export interface RecordInfo extends RecordUnit {
  task: Task;
}

/** What a decision writes besides its identity: the label (or set) in the shape the kind stores. */
export type DecidedLabels = { label: string } | { labels: string[] };

/** A decision the server cannot write as given (no such sample, a set on a single-label task): the caller's mistake. */
export class InvalidDecisionError extends Error {}

/**
 * A kind's own fields of a task in loopmark.json: their JSON schema (the `properties` of a task of
 * this kind, beside the common ones) and how they become the task's `settings`.
 */
export interface KindSettings<T = unknown> {
  properties: Record<string, object>;
  /** The settings from the task as written (already valid against `properties`). */
  parse(raw: Readonly<Record<string, unknown>>): T;
}

export interface TaskKind {
  /** The `kind` of a task in loopmark.json. */
  readonly name: string;
  /** The kind's own fields in loopmark.json, when it has any. */
  readonly settings?: KindSettings;
  /** The default `textField` of its tasks; '.' (WHOLE_RECORD) when the kind reads the whole record. */
  readonly textField?: string;
  /** Findings about one record (ranges on its line), or none. */
  assess(task: Task, unit: RecordUnit): Finding[];
  /** The quick fixes of a finding, built from its code and data alone. */
  actions(task: Task, finding: { code: string; data: FindingData }): Action[];
  /** The hover of a record, as Markdown in which every piece of data is escaped. */
  hover(info: RecordInfo): string;
  /**
   * Checks a decision against the task's rules (label set, sets, answers) and says what to write;
   * throws InvalidDecisionError with the reason. `unit` is the record decided on.
   */
  decide(task: Task, decision: Decision, unit: RecordUnit): DecidedLabels & { source: LabelSource };
  /** Labels the records and predictions of an inferred task use (for a task with no label set). */
  labelsSeen?(records: Iterable<LabelRecord>, predictions: Iterable<Prediction>): LabelDef[];
  /** The kind's embedded model over one workspace folder, when it has one. */
  learner?(folder: FolderView): Learner;
}

/** How far a task's embedded model is: off (and why), cold (too few examples per label), ready. */
export interface ModelState {
  state: 'off' | 'cold' | 'ready';
  /** Why the model is off, when it is. */
  reason?: string;
  examples: number;
  /** Examples per label. */
  counts: Record<string, number>;
  minExamplesPerLabel: number;
}

/**
 * A kind's embedded model: trained from the label files (same files, same model), taught by each
 * decision as it is written, and asked for predictions of its tasks' samples.
 */
export interface Learner {
  /** Trains every task of the kind from scratch from the label files, in resumable steps. */
  trainSteps(): Generator<void, void>;
  learn(task: Task, sample: Sample, record: LabelRecord): void;
  predict(task: Task, sample: Sample): Prediction | undefined;
  state(task: Task): ModelState;
  /** Set by the workspace: called when the model changed in the background (a retrain swapped in). */
  onRetrained?: ((task: Task) => void) | undefined;
}
