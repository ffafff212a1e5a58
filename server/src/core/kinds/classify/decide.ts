// The one rule set for a classify decision, whoever sends it (a quick fix, the label picker, bulk
// accept, `loopmark label`): its shape (one label or a set), the label set, and where it came from.
import { canonicalSet, formatSet, predictedLabels, recordLabels, sameSet } from '../../labelSets';
import type { LabelSource, Task } from '../../types';
import { InvalidDecisionError, type DecidedLabels, type Decision, type RecordUnit } from '../kind';
import { labelNames, listLabels } from './data';

/**
 * What a decision writes, in the shape of its task: a set (`labels`, canonical) for a multi-label task,
 * where one label is the set of that label; one `label` for a single-label task, where a set of one is
 * that label. Anything else is refused with the reason (it comes from a client or a script).
 */
export function decidedLabels(task: Task, decision: Pick<Decision, 'label' | 'labels' | 'sampleId'>): DecidedLabels {
  const { label, labels } = decision;
  if (label !== undefined && labels !== undefined) throw new InvalidDecisionError(`The decision on '${decision.sampleId}' has both "label" and "labels"; give one`);
  if (labels !== undefined && !(Array.isArray(labels) && labels.every((l) => typeof l === 'string'))) {
    throw new InvalidDecisionError(`"labels" of the decision on '${decision.sampleId}' must be a list of strings`);
  }
  if (task.multiLabel) return { labels: canonicalSet(labels ?? (label ? [label] : [])) };
  if (labels === undefined) {
    if (typeof label !== 'string') throw new InvalidDecisionError(`The decision on '${decision.sampleId}' has no "label"`);
    return { label };
  }
  if (labels.length <= 1) return { label: labels[0] ?? '' };
  throw new InvalidDecisionError(`Task '${task.name}' takes one label per sample, not the set ${formatSet(labels)}; set "multiLabel": true in loopmark.json to label sets`);
}

/**
 * Where a label came from, judged against the prediction the user saw: the predicted label (or set)
 * accepted, another chosen instead of it, or a label with no prediction to judge.
 */
export function decisionSource(decided: DecidedLabels, unit: RecordUnit): LabelSource {
  const shown = unit.predictions.shown;
  if (!shown) return 'manual';
  const chosen = 'labels' in decided ? decided.labels : [decided.label];
  return sameSet(chosen, 'labels' in decided ? predictedLabels(shown) : [shown.label]) ? 'prediction' : 'correction';
}

/**
 * Checks a decision and says what to write. A declared task takes only its own labels (an inferred
 * task's label set is whatever its data uses), except a label the sample already carries from an
 * earlier decision: keeping it (a label since removed from loopmark.json, shown in the picker) drops
 * nothing unseen, while a new one is a typo until loopmark.json declares it. A skip (`ignore`)
 * names no label that must exist.
 */
export function decide(task: Task, decision: Decision, unit: RecordUnit): DecidedLabels & { source: LabelSource } {
  const decided = decidedLabels(task, decision);
  if (decision.answer !== 'ignore' && !task.inferred) {
    const known = labelNames(task);
    const carried = new Set(unit.labels.flatMap((r) => recordLabels(r)));
    const unknown = recordLabels(decided).filter((l) => !known.has(l) && !carried.has(l));
    if (unknown.length > 0) {
      throw new InvalidDecisionError(
        `${unknown.map((l) => `'${l}'`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the label set of task '${task.name}' (${listLabels(known)}); add ${unknown.length === 1 ? 'it' : 'them'} to loopmark.json first`,
      );
    }
  }
  return { ...decided, source: decision.source ?? decisionSource(decided, unit) };
}
