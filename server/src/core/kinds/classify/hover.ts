// The hover of a sample, as Markdown. Every piece of data in it is escaped: dataset text and labels
// are untrusted and must not become links, commands or HTML.
import type { Sample } from '../../dataset';
import { predictedLabels, sameSet } from '../../labelSets';
import { escapeMarkdown } from '../../markdown';
import type { LabelDef, LabelRecord, Prediction, Task } from '../../types';
import type { RecordInfo } from '../kind';

/** What the hover of a classified sample shows. */
export interface SampleInfo {
  sample: Sample;
  line: number;
  task: Task;
  labels: readonly LabelRecord[];
  current?: LabelRecord;
  filePrediction?: Prediction;
  modelPrediction?: Prediction;
  shown?: Prediction;
  guideline?: LabelDef;
}

/** A record's info with the guideline of its label (or of the prediction); a set has no one guideline. */
export function toSampleInfo(info: RecordInfo): SampleInfo {
  const { sample, line, task, labels, current } = info;
  const { file: filePrediction, model: modelPrediction, shown } = info.predictions;
  const guidelineName = task.multiLabel ? undefined : current?.label ?? shown?.label;
  const guideline = guidelineName === undefined ? undefined : task.labels.find((l) => l.name === guidelineName);
  return {
    sample, line, task, labels,
    ...(current ? { current } : {}),
    ...(filePrediction ? { filePrediction } : {}),
    ...(modelPrediction ? { modelPrediction } : {}),
    ...(shown ? { shown } : {}),
    ...(guideline ? { guideline } : {}),
  };
}

function describePrediction(p: Prediction): string {
  // The embedded model sets no model version; an external one says which (http:<host>, chat:<model>).
  const source = p.origin === 'model'
    ? p.modelVersion ? `external model (${escapeMarkdown(p.modelVersion)})` : `embedded model${p.coldStart ? ' (cold start: too few labels yet)' : ''}`
    : `file${p.modelVersion ? ` (${escapeMarkdown(p.modelVersion)})` : ''}`;
  if (p.labels) return `**${setMarkdown(p.labels)}** ${p.score.toFixed(2)} (least sure label) — ${source}`;
  return `**${escapeMarkdown(p.label)}** ${p.score.toFixed(2)} — ${source}`;
}

/** A set as escaped Markdown: each name escaped on its own. */
function setMarkdown(labels: readonly string[]): string {
  return `\\{${[...labels].sort().map(escapeMarkdown).join(', ')}\\}`;
}

function labelsMarkdown(record: { label?: string; labels?: string[] }): string {
  return record.labels ? setMarkdown(record.labels) : escapeMarkdown(record.label ?? '');
}

/** Multi-label: every label's probability, most probable first; the labels of the set in bold. */
function perLabelScores(p: Prediction): string | undefined {
  if (!p.labels || !p.scores) return undefined;
  const set = new Set(p.labels);
  const rows = Object.entries(p.scores)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, score]) => (set.has(label) ? `**${escapeMarkdown(label)}** ${score.toFixed(2)}` : `${escapeMarkdown(label)} ${score.toFixed(2)}`));
  return rows.length > 0 ? `Per label: ${rows.join(' · ')}` : undefined;
}

function differ(a: Prediction, b: Prediction): boolean {
  return a.labels || b.labels ? !sameSet(predictedLabels(a), predictedLabels(b)) : a.label !== b.label;
}

export function hoverMarkdown(info: SampleInfo): string {
  const lines: string[] = [];
  lines.push(`**Loopmark** · task ${escapeMarkdown(info.task.name)} · sample ${escapeMarkdown(info.sample.id)}`);
  lines.push('');
  const { filePrediction, modelPrediction } = info;
  if (filePrediction && modelPrediction && differ(filePrediction, modelPrediction)) {
    // Say which one the diagnostic uses (`prefer` in loopmark.json; a cold model is never used).
    // A labeled sample that agrees shows no diagnostic: then the mark says which prediction counts.
    const mark = info.current ? ' ← the prediction Loopmark uses' : ' ← shown as the diagnostic';
    const used = (p: Prediction): string => (info.shown === p ? mark : '');
    lines.push(`Predictions disagree:`);
    lines.push(`- ${describePrediction(filePrediction)}${used(filePrediction)}`);
    lines.push(`- ${describePrediction(modelPrediction)}${used(modelPrediction)}`);
    const scores = perLabelScores(info.shown ?? modelPrediction);
    if (scores) lines.push('', scores);
  } else if (info.shown ?? modelPrediction) {
    const shown = (info.shown ?? modelPrediction)!;
    lines.push(`Prediction: ${describePrediction(shown)}`);
    const scores = perLabelScores(shown);
    if (scores) lines.push('', scores);
  } else {
    lines.push('Prediction: none');
  }
  lines.push('');
  if (info.current) {
    const c = info.current;
    const verb = c.answer === 'ignore' ? 'Skipped' : c.answer === 'reject' ? 'Rejected' : 'Label';
    lines.push(`${verb}: **${labelsMarkdown(c)}** (${c.source}) by ${escapeMarkdown(c.annotator)} at ${escapeMarkdown(c.time)}`);
  } else {
    lines.push('Label: none yet');
  }
  const others = info.labels.filter((r) => r !== info.current && !r.target);
  for (const r of others) lines.push(`- also **${labelsMarkdown(r)}** (${r.answer}) by ${escapeMarkdown(r.annotator)}`);
  if (info.guideline?.description) {
    lines.push('');
    lines.push(`Guideline for ${escapeMarkdown(info.guideline.name)}: ${escapeMarkdown(info.guideline.description)}`);
  }
  return lines.join('\n');
}
