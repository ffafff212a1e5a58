// The hover of a sample, as Markdown. Every piece of data in it is escaped: dataset text and labels
// are untrusted and must not become links, commands or HTML.
import { escapeMarkdown } from './markdown';
import type { SampleInfo } from './project';
import type { Prediction } from './types';

function describePrediction(p: Prediction): string {
  // The embedded model sets no model version; an external one says which (http:<host>, chat:<model>).
  const source = p.origin === 'model'
    ? p.modelVersion ? `external model (${escapeMarkdown(p.modelVersion)})` : `embedded model${p.coldStart ? ' (cold start: too few labels yet)' : ''}`
    : `file${p.modelVersion ? ` (${escapeMarkdown(p.modelVersion)})` : ''}`;
  return `**${escapeMarkdown(p.label)}** ${p.score.toFixed(2)} — ${source}`;
}

export function hoverMarkdown(info: SampleInfo): string {
  const lines: string[] = [];
  lines.push(`**Loopmark** · task ${escapeMarkdown(info.task.name)} · sample ${escapeMarkdown(info.sample.id)}`);
  lines.push('');
  const { filePrediction, modelPrediction } = info;
  if (filePrediction && modelPrediction && filePrediction.label !== modelPrediction.label) {
    lines.push(`Predictions disagree:`);
    lines.push(`- ${describePrediction(filePrediction)}`);
    lines.push(`- ${describePrediction(modelPrediction)}`);
  } else if (info.shown ?? modelPrediction) {
    lines.push(`Prediction: ${describePrediction((info.shown ?? modelPrediction)!)}`);
  } else {
    lines.push('Prediction: none');
  }
  lines.push('');
  if (info.current) {
    const c = info.current;
    const verb = c.answer === 'ignore' ? 'Skipped' : c.answer === 'reject' ? 'Rejected' : 'Label';
    lines.push(`${verb}: **${escapeMarkdown(c.label)}** (${c.source}) by ${escapeMarkdown(c.annotator)} at ${escapeMarkdown(c.time)}`);
  } else {
    lines.push('Label: none yet');
  }
  const others = info.labels.filter((r) => r !== info.current && !r.target);
  for (const r of others) lines.push(`- also **${escapeMarkdown(r.label)}** (${r.answer}) by ${escapeMarkdown(r.annotator)}`);
  if (info.guideline?.description) {
    lines.push('');
    lines.push(`Guideline for ${escapeMarkdown(info.guideline.name)}: ${escapeMarkdown(info.guideline.description)}`);
  }
  return lines.join('\n');
}
