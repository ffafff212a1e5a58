// The classify kind: a whole record gets one label (or, multi-label, a set). Its findings are
// predictions to review, suggestions, conflicts and unknown labels; its model is the embedded
// text classifier (learner.ts).
import { predictedLabels, recordLabels } from '../../labelSets';
import type { LabelDef } from '../../types';
import type { TaskKind } from '../kind';
import { labelActions } from './actions';
import { assessSample } from './assess';
import { isReviewCode, type SampleData } from './data';
import { decide } from './decide';
import { hoverMarkdown, toSampleInfo } from './hover';
import { Learner } from './learner';

export const classify: TaskKind = {
  name: 'classify',
  assess(task, unit) {
    if (!unit.current && !unit.predictions.shown) return [];
    const finding = assessSample(task, unit.line, { start: 0, end: 0 }, unit.sample.id, unit.current, unit.predictions.shown);
    if (!finding) return [];
    const range = unit.textRange();
    finding.start = range.start;
    finding.end = range.end;
    return [finding];
  },
  actions(task, finding) {
    return isReviewCode(finding.code) ? labelActions(task, finding.data as SampleData) : [];
  },
  hover: (info) => hoverMarkdown(toSampleInfo(info)),
  decide,
  learner: (folder) => new Learner(folder),
  labelsSeen(records, predictions) {
    const names = new Set<string>();
    for (const r of records) if (r.answer !== 'ignore' && !r.target) for (const l of recordLabels(r)) if (l) names.add(l);
    for (const p of predictions) for (const l of predictedLabels(p)) names.add(l);
    return [...names].sort().map((name): LabelDef => ({ name }));
  },
};
