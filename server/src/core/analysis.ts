// What the user is told about each sample, as data: the server turns it into LSP diagnostics and
// code actions, the CLI into text. Decisions live here, not in the server.
import type { LineErrorCode } from './dataset';
import { formatSet, leastSure, predictedLabels, recordLabels, sameSet } from './labelSets';
import type { Answer, LabelRecord, LabelSource, Prediction, Task } from './types';

export type DiagnosticCode =
  | 'review'
  | 'suggestion'
  | 'conflict'
  | 'unknown-label'
  | 'duplicate-id'
  | 'more-to-review'
  | 'label-file'
  | 'config'
  | LineErrorCode;

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** Carried in a diagnostic's `data`, so code actions never re-parse message text. */
export interface SampleData {
  sampleId: string;
  predictedLabel?: string;
  score?: number;
  origin?: Prediction['origin'];
  label?: string;
  /** Multi-label tasks: the predicted set (instead of `predictedLabel`). */
  predictedLabels?: string[];
  /** Multi-label tasks: the labeled set (instead of `label`). */
  labels?: string[];
}

export interface Finding {
  code: DiagnosticCode;
  severity: Severity;
  line: number;
  start: number;
  end: number;
  message: string;
  data?: SampleData;
}

/** Codes whose diagnostics are about a sample that can be labeled by a quick fix. */
export function isReviewCode(code: string): code is 'review' | 'suggestion' | 'conflict' | 'unknown-label' {
  return code === 'review' || code === 'suggestion' || code === 'conflict' || code === 'unknown-label';
}

const namesByTask = new WeakMap<Task, ReadonlySet<string>>();
/** The task's label names as a set, built once per task (label sets can be large). */
export function labelNames(task: Task): ReadonlySet<string> {
  let names = namesByTask.get(task);
  if (!names) {
    names = new Set(task.labels.map((l) => l.name));
    namesByTask.set(task, names);
  }
  return names;
}

/** A label set in a message: the first few names, then how many more. */
function listLabels(known: ReadonlySet<string>, max = 8): string {
  const names = [...known];
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** With more labels than this, quick fixes offer the label picker instead of one action per label. */
export const MAX_LABEL_ACTIONS = 12;

function percent(score: number): string {
  return score.toFixed(2);
}

function predictionPhrase(p: Prediction): string {
  const who = p.origin === 'model' ? (p.coldStart ? 'model (cold start) predicted' : 'model predicted') : 'predicted';
  return `${who} '${p.label}' (${percent(p.score)})`;
}

/**
 * The finding for one sample, or undefined when there is nothing to say (labeled and agreeing, or
 * unlabeled with no prediction). `range` is the sample's text on its line.
 */
export function assessSample(
  task: Task,
  line: number,
  range: { start: number; end: number },
  sampleId: string,
  label: LabelRecord | undefined,
  prediction: Prediction | undefined,
): Finding | undefined {
  if (task.multiLabel) return assessSet(task, line, range, sampleId, label, prediction);
  const known = task.inferred ? undefined : labelNames(task);
  const base = { line, start: range.start, end: range.end };
  if (label && label.answer !== 'ignore' && label.label === undefined) {
    return {
      ...base,
      code: 'unknown-label',
      severity: 'error',
      message: `Labeled with the set ${formatSet(recordLabels(label))}, but task '${task.name}' takes one label per sample; relabel the sample or set "multiLabel": true in loopmark.json`,
      data: { sampleId, labels: recordLabels(label), ...predictionData(prediction) },
    };
  }
  if (label && label.answer !== 'ignore' && known && !known.has(label.label!)) {
    return {
      ...base,
      code: 'unknown-label',
      severity: 'error',
      message: `Label '${label.label}' is not in the label set of task '${task.name}' (${listLabels(known)}); relabel the sample or add the label to loopmark.json`,
      data: { sampleId, label: label.label, ...predictionData(prediction) },
    };
  }
  if (!label && prediction && known && !known.has(prediction.label)) {
    return {
      ...base,
      code: 'unknown-label',
      severity: 'error',
      message: `Predicted label '${prediction.label}' is not in the label set of task '${task.name}' (${listLabels(known)})`,
      data: { sampleId, ...predictionData(prediction) },
    };
  }
  if (!prediction) return undefined;
  if (!label) {
    const review = prediction.score < task.threshold || prediction.coldStart === true;
    return {
      ...base,
      code: review ? 'review' : 'suggestion',
      severity: review ? 'warning' : 'information',
      message: `${review ? 'Review' : 'Suggestion'}: ${predictionPhrase(prediction)}`,
      data: { sampleId, ...predictionData(prediction) },
    };
  }
  // A correction was made knowing the prediction: the annotator has spoken, do not nag again.
  if (label.answer === 'accept' && label.source !== 'correction' && label.label !== prediction.label && prediction.score >= task.threshold && !prediction.coldStart) {
    return {
      ...base,
      code: 'conflict',
      severity: 'warning',
      message: `Labeled '${label.label}' by ${label.annotator}, but ${predictionPhrase(prediction)}`,
      data: { sampleId, label: label.label, ...predictionData(prediction) },
    };
  }
  return undefined;
}

function predictionData(p: Prediction | undefined): Partial<SampleData> {
  return p ? { predictedLabel: p.label, score: p.score, origin: p.origin } : {};
}

function setPredictionData(p: Prediction | undefined): Partial<SampleData> {
  return p ? { predictedLabels: predictedLabels(p), score: p.score, origin: p.origin } : {};
}

function quoted(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}

/** "model predicted {billing, bug} (least sure: 'bug' 0.61)": the probability of the label closest to a coin flip. */
function setPredictionPhrase(p: Prediction): string {
  const who = p.origin === 'model' ? (p.coldStart ? 'model (cold start) predicted' : 'model predicted') : 'predicted';
  const worst = p.leastSure ?? (p.scores ? leastSure(p.scores)?.label : undefined);
  const sure = worst !== undefined && p.scores?.[worst] !== undefined ? `least sure: '${worst}' ${percent(p.scores[worst]!)}` : percent(p.score);
  return `${who} ${formatSet(predictedLabels(p))} (${sure})`;
}

/**
 * assessSample for a multi-label task: a decision is a set (closed world), a prediction is a set
 * whose confidence is that of its least sure label (Prediction.score). Same matrix as one label.
 */
function assessSet(
  task: Task,
  line: number,
  range: { start: number; end: number },
  sampleId: string,
  label: LabelRecord | undefined,
  prediction: Prediction | undefined,
): Finding | undefined {
  const known = task.inferred ? undefined : labelNames(task);
  const base = { line, start: range.start, end: range.end };
  const labeled = label ? recordLabels(label) : undefined;
  const predicted = prediction ? predictedLabels(prediction) : undefined;
  if (label && labeled && label.answer !== 'ignore' && known) {
    const unknown = labeled.filter((l) => !known.has(l));
    if (unknown.length > 0) {
      return {
        ...base,
        code: 'unknown-label',
        severity: 'error',
        message: `${unknown.length === 1 ? 'Label' : 'Labels'} ${quoted(unknown)} of ${formatSet(labeled)} ${unknown.length === 1 ? 'is' : 'are'} not in the label set of task '${task.name}' (${listLabels(known)}); relabel the sample or add the label to loopmark.json`,
        data: { sampleId, labels: labeled, ...setPredictionData(prediction) },
      };
    }
  }
  if (!label && predicted && known) {
    const unknown = predicted.filter((l) => !known.has(l));
    if (unknown.length > 0) {
      return {
        ...base,
        code: 'unknown-label',
        severity: 'error',
        message: `Predicted ${unknown.length === 1 ? 'label' : 'labels'} ${quoted(unknown)} of ${formatSet(predicted)} ${unknown.length === 1 ? 'is' : 'are'} not in the label set of task '${task.name}' (${listLabels(known)})`,
        data: { sampleId, ...setPredictionData(prediction) },
      };
    }
  }
  if (!prediction || !predicted) return undefined;
  if (!label || !labeled) {
    const review = prediction.score < task.threshold || prediction.coldStart === true;
    return {
      ...base,
      code: review ? 'review' : 'suggestion',
      severity: review ? 'warning' : 'information',
      message: `${review ? 'Review' : 'Suggestion'}: ${setPredictionPhrase(prediction)}`,
      data: { sampleId, ...setPredictionData(prediction) },
    };
  }
  // A correction was made knowing the prediction: the annotator has spoken, do not nag again.
  if (label.answer === 'accept' && label.source !== 'correction' && !sameSet(labeled, predicted) && prediction.score >= task.threshold && !prediction.coldStart) {
    return {
      ...base,
      code: 'conflict',
      severity: 'warning',
      message: `Labeled ${formatSet(labeled)} by ${label.annotator}, but ${setPredictionPhrase(prediction)}`,
      data: { sampleId, labels: labeled, ...setPredictionData(prediction) },
    };
  }
  return undefined;
}

/**
 * A decision the user can take on a sample: the payload of the apply-label command. It has exactly one
 * of `label` (single-label tasks) and `labels` (multi-label tasks: the complete set, may be empty).
 */
export interface LabelDecision {
  sampleId: string;
  label?: string;
  labels?: string[];
  answer: Answer;
  source: LabelSource;
  score?: number;
}

export interface ActionData {
  title: string;
  isPreferred: boolean;
  /** The decision to write; absent for the action that opens the label picker. */
  decision?: LabelDecision;
}

/**
 * The quick fixes for a sample: accept the prediction (preferred), label as each other label,
 * and skip. Built from the diagnostic's data alone.
 */
export function labelActions(task: Task, data: SampleData): ActionData[] {
  if (task.multiLabel) return setActions(task, data);
  const actions: ActionData[] = [];
  const predicted = data.predictedLabel;
  const score = data.score;
  const withScore = score === undefined ? {} : { score };
  const known = task.labels.map((l) => l.name);
  if (predicted !== undefined && (task.inferred || labelNames(task).has(predicted)) && data.label !== predicted) {
    actions.push({
      title: `Accept '${predicted}'`,
      isPreferred: true,
      decision: { sampleId: data.sampleId, label: predicted, answer: 'accept', source: 'prediction', ...withScore },
    });
  }
  if (data.label !== undefined && predicted !== undefined && data.label !== predicted) {
    actions.push({
      title: `Keep '${data.label}'`,
      isPreferred: false,
      decision: { sampleId: data.sampleId, label: data.label, answer: 'accept', source: 'correction', ...withScore },
    });
  }
  if (known.length > MAX_LABEL_ACTIONS) {
    // One action per label would flood the menu: open the searchable label picker instead.
    actions.push({ title: `Choose a label… (${known.length} labels)`, isPreferred: false });
    known.length = 0;
  }
  for (const name of known) {
    if (name === predicted && data.label !== predicted) continue;
    if (name === data.label) continue;
    actions.push({
      title: `Label as '${name}'`,
      isPreferred: false,
      decision: {
        sampleId: data.sampleId,
        label: name,
        answer: 'accept',
        source: predicted === undefined ? 'manual' : 'correction',
        ...withScore,
      },
    });
  }
  actions.push({
    title: 'Skip',
    isPreferred: false,
    decision: { sampleId: data.sampleId, label: predicted ?? data.label ?? '', answer: 'ignore', source: predicted === undefined ? 'manual' : 'prediction', ...withScore },
  });
  return actions;
}

/** Where the toggles of a set start from: the labeled set if any, else the predicted set. */
export function currentSet(data: Pick<SampleData, 'labels' | 'label' | 'predictedLabels'>): string[] {
  return data.labels ?? (data.label !== undefined ? [data.label] : undefined) ?? data.predictedLabels ?? [];
}

/**
 * The quick fixes of a multi-label sample: accept the predicted set (preferred), keep the labeled set
 * on a conflict, add or remove one label (relative to the current set) or, with many labels, the
 * picker; and skip. Every decision writes a complete set.
 */
function setActions(task: Task, data: SampleData): ActionData[] {
  const actions: ActionData[] = [];
  const predicted = data.predictedLabels;
  const labeled = data.labels ?? (data.label !== undefined ? [data.label] : undefined);
  const current = currentSet(data);
  const score = data.score;
  const withScore = score === undefined ? {} : { score };
  const names = labelNames(task);
  const source = (set: readonly string[]): LabelSource => (predicted === undefined ? 'manual' : sameSet(set, predicted) ? 'prediction' : 'correction');
  const decide = (labels: string[], answer: Answer, how: LabelSource): LabelDecision => ({ sampleId: data.sampleId, labels, answer, source: how, ...withScore });
  if (predicted !== undefined && (task.inferred || predicted.every((l) => names.has(l))) && !(labeled && sameSet(labeled, predicted))) {
    actions.push({ title: `Accept ${formatSet(predicted)}`, isPreferred: true, decision: decide([...predicted], 'accept', 'prediction') });
  }
  if (labeled !== undefined && predicted !== undefined && !sameSet(labeled, predicted)) {
    actions.push({ title: `Keep ${formatSet(labeled)}`, isPreferred: false, decision: decide([...labeled], 'accept', 'correction') });
  }
  const known = task.labels.map((l) => l.name);
  if (known.length > MAX_LABEL_ACTIONS) {
    // One pair of actions per label would flood the menu: open the label picker (several choices) instead.
    actions.push({ title: `Choose labels… (${known.length} labels)`, isPreferred: false });
  } else {
    // Labels of the current set outside the label set can be removed too (an unknown-label finding).
    for (const name of [...known, ...current.filter((l) => !names.has(l))]) {
      const has = current.includes(name);
      const next = has ? current.filter((l) => l !== name) : [...current, name];
      actions.push({ title: has ? `Remove '${name}'` : `Add '${name}'`, isPreferred: false, decision: decide(next, 'accept', source(next)) });
    }
  }
  actions.push({
    title: 'Skip',
    isPreferred: false,
    decision: decide([...(predicted ?? labeled ?? [])], 'ignore', predicted === undefined ? 'manual' : 'prediction'),
  });
  return actions;
}
