// The findings of a multi-label classify task on one sample: the same matrix as one label, over sets.
import { formatSet, predictedLabels, recordLabels, sameSet } from '../../labelSets';
import type { LabelRecord, Prediction, Task } from '../../types';
import type { Finding } from '../kind';
import { labelNames, listLabels, quoted, setPredictionData, setPredictionPhrase } from './data';

/**
 * assessSample for a multi-label task: a decision is a set (closed world), a prediction is a set
 * whose confidence is that of its least sure label (Prediction.score). Same matrix as one label.
 */
export function assessSet(
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

