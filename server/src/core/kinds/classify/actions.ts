// The quick fixes of a classify finding: accept the prediction, label as another label (or open the
// picker), keep a label on a conflict, skip. Built from the finding's data alone.
import { formatSet, sameSet } from '../../labelSets';
import type { Answer, LabelSource, Task } from '../../types';
import type { Action, Decision } from '../kind';
import { labelNames, type SampleData } from './data';

/** With more labels than this, quick fixes offer the label picker instead of one action per label. */
export const MAX_LABEL_ACTIONS = 12;

/**
 * The quick fixes for a sample: accept the prediction (preferred), label as each other label,
 * and skip. Built from the diagnostic's data alone.
 */
export function labelActions(task: Task, data: SampleData): Action[] {
  if (task.multiLabel) return setActions(task, data);
  const actions: Action[] = [];
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
function setActions(task: Task, data: SampleData): Action[] {
  const actions: Action[] = [];
  const predicted = data.predictedLabels;
  const labeled = data.labels ?? (data.label !== undefined ? [data.label] : undefined);
  const current = currentSet(data);
  const score = data.score;
  const withScore = score === undefined ? {} : { score };
  const names = labelNames(task);
  const source = (set: readonly string[]): LabelSource => (predicted === undefined ? 'manual' : sameSet(set, predicted) ? 'prediction' : 'correction');
  const decide = (labels: string[], answer: Answer, how: LabelSource): Decision => ({ sampleId: data.sampleId, labels, answer, source: how, ...withScore });
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
