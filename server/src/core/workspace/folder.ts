// What the parts of a workspace folder's service see of it: its tasks, its datasets and their label
// files. Kinds (their learners) and the review queue read a folder through this view, so they do not
// depend on the class that implements it.
import type { Config } from '../config';
import type { DatasetView, Sample } from '../dataset';
import type { LabelIndex } from '../labels';
import type { LineProblem, Prediction, Task } from '../types';

export interface DatasetEntry {
  path: string;
  relativePath: string;
  task: Task;
  dataset: DatasetView;
  /** Held open by an editor (its text comes from the editor, not the disk). */
  open: boolean;
  labelPath: string;
  predictionsPath: string;
}

/** A predictor other than the file: an embedded model, or an external one. */
export interface Predictor {
  predict(task: Task, sample: Sample): Prediction | undefined;
}

/** The label file of a dataset as loaded: its records by sample, and the lines that did not parse. */
export interface LabelStoreView {
  index: LabelIndex;
  problems: LineProblem[];
}

export interface FolderView {
  readonly root: string;
  readonly config: Config;
  /** Who labels in this folder (the label files keep every annotator's decisions). */
  readonly annotator: string;
  /** Every dataset file on disk that a task matches. */
  datasetFiles(): string[];
  /** The dataset entry of a file (read from disk when no editor holds it). */
  entry(file: string): DatasetEntry | undefined;
  labelStore(labelPath: string): LabelStoreView;
  /** The task with its effective label set (inferred tasks learn theirs from the data). */
  effectiveTask(entry: DatasetEntry): Task;
}
