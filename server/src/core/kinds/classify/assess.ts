// The findings of a single-label classify task on one sample: review, suggestion, conflict, unknown label.
import { formatSet, recordLabels } from '../../labelSets';
import type { LabelRecord, Prediction, Task } from '../../types';
import type { Finding } from '../kind';
import { assessSet } from './assessSet';
import { labelNames, listLabels, predictionData, predictionPhrase } from './data';

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

