// What the user is told about each sample, as data: the server turns it into LSP diagnostics and
// code actions, the CLI into text. Decisions live here, not in the server.
import type { LineErrorCode } from './dataset';
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
  const known = task.inferred ? undefined : labelNames(task);
  const base = { line, start: range.start, end: range.end };
  if (label && label.answer !== 'ignore' && known && !known.has(label.label)) {
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

/** A decision the user can take on a sample: the payload of the apply-label command. */
export interface LabelDecision {
  sampleId: string;
  label: string;
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
