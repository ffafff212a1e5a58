// `loopmark export --format openai-chat|sharegpt|alpaca|trl-preference|openai-dpo`: an llm dataset
// (JSONL or a JSON array) and its label file to a trainer's format. The decisions are the llm kind's
// labels: accept, a rating and keep/tie of a pair keep a sample; reject (with any reason) leaves it
// out; pair:swap keeps it with chosen and rejected swapped. The later copies of exact duplicates are
// left out; unreviewed samples only with --include unreviewed.
import { assessFile } from '../core/kinds/llm/assess';
import { exportLlm, type ExportFormat, type ExportResult, type SampleDecision } from '../core/kinds/llm/export';
import { sampleId } from '../core/identity';
import { parseLabels } from '../core/labels';
import type { LabelRecord } from '../core/types';

/** The decision a label record says, in export's terms. */
export function sampleDecision(record: LabelRecord | undefined): SampleDecision | undefined {
  const label = record?.answer === 'accept' && !record.target ? record.label : undefined;
  if (!label) return undefined;
  if (label === 'reject' || label.startsWith('reject:')) return { status: 'rejected' };
  if (label === 'pair:swap') return { status: 'accepted', swap: true };
  if (label === 'accept' || label.startsWith('rating:') || label === 'pair:keep' || label === 'pair:tie') return { status: 'accepted' };
  return undefined;
}

export function exportLlmDataset(text: string, labelText: string, format: ExportFormat, includeUnreviewed: boolean): ExportResult {
  const assessment = assessFile(text);
  // The latest decision per sample (any annotator), by time.
  const latest = new Map<string, LabelRecord>();
  for (const r of parseLabels(labelText).records.values()) {
    if (r.target) continue;
    const before = latest.get(r.id);
    if (!before || before.time <= r.time) latest.set(r.id, r);
  }
  const { records } = assessment.file;
  // The id the workspace gives a record: its `id`, else derived from its text as written on its line.
  const ids = records.map((r) => sampleId((r.value as Record<string, unknown> | undefined)?.['id'], r.text).id);
  const drop = new Set<number>();
  assessment.findings.forEach((fs, i) => fs.some((f) => f.code === 'llm/duplicate') && drop.add(i));
  return exportLlm(records.map((r) => r.value), (i) => sampleDecision(latest.get(ids[i]!)), {
    format,
    include: includeUnreviewed ? ['accepted', 'unreviewed'] : ['accepted'],
    drop,
  });
}
