// The decisions agreement is measured on: one per (sample, target, annotator), the one that counts
// (labels.supersedes: the latest), whatever order the records come in.
import { labelKey, supersedes } from '../labels';
import { formatSet, recordLabels } from '../labelSets';
import type { LabelRecord } from '../types';

/** The decision that counts per (sample, target, annotator). */
export function latestDecisions(records: Iterable<LabelRecord>): LabelRecord[] {
  const byKey = new Map<string, LabelRecord>();
  for (const record of records) {
    const key = labelKey(record);
    const previous = byKey.get(key);
    if (!previous || supersedes(record, previous)) byKey.set(key, record);
  }
  return [...byKey.values()];
}

/**
 * What an annotator said about a unit, as a nominal value: the label, or for a set its canonical text
 * (`{billing, bug}`). A rejected or skipped decision names no label: it is missing data, not a category.
 */
export function decisionValue(record: LabelRecord): string | undefined {
  if (record.answer !== 'accept') return undefined;
  return record.labels ? formatSet(record.labels) : record.label;
}

/** One-against-the-rest: did the annotator give this label (alone, or in the set)? */
export function givesLabel(record: LabelRecord, label: string): boolean {
  return recordLabels(record).includes(label);
}

/** The unit a decision is about: the sample, or one turn of it. Spans are compared by spanAgreement. */
export function unitKey(record: LabelRecord): string {
  return record.target?.kind === 'turn' ? `${record.id}\u0000turn:${record.target.index}` : record.id;
}
