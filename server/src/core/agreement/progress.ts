// Progress per annotator, for `loopmark stats` and the status bar: what each annotator has done on a
// dataset, counted from the decisions that count (one per sample, target and annotator).
import { latestDecisions } from './decisions';
import type { LabelRecord } from '../types';

export interface AnnotatorProgress {
  /** Samples the annotator decided with a label (accepted or rejected; skips are not labels). */
  labeled: number;
  /** Of those, predictions accepted as they were. */
  accepted: number;
  /** Of those, predictions corrected to another label. */
  corrected: number;
  /** Samples skipped (answer `ignore`). */
  skipped: number;
}

/**
 * Per annotator (sorted by name), from a label file's records. `hasSample` leaves out decisions on
 * samples the dataset no longer has, so the counts add up to what the dataset shows.
 */
export function annotatorProgress(records: Iterable<LabelRecord>, hasSample: (id: string) => boolean = () => true): Map<string, AnnotatorProgress> {
  const progress = new Map<string, AnnotatorProgress>();
  for (const r of latestDecisions(records)) {
    if (r.target || !hasSample(r.id)) continue;
    let p = progress.get(r.annotator);
    if (!p) progress.set(r.annotator, (p = { labeled: 0, accepted: 0, corrected: 0, skipped: 0 }));
    if (r.answer === 'ignore') {
      p.skipped++;
      continue;
    }
    p.labeled++;
    if (r.source === 'prediction' && r.answer === 'accept') p.accepted++;
    if (r.source === 'correction') p.corrected++;
  }
  return new Map([...progress].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
