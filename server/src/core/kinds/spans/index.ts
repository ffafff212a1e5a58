// The spans kind: parts of a record's text get labels (named entities, secrets, PII...). Labeled
// spans are label records with `target: {kind: 'span', start, end}` in code points of the text;
// suggestions come from the record's own predictions and the task's pattern rules, each a finding
// on its exact range. A suggestion is accepted (as its label or another) or rejected (not shown
// again); a labeled span has its label changed or is removed: removal writes `ignore` for the
// target (the span is withdrawn), keeping `reject` for "this suggestion is wrong".
import { escapeMarkdown, inlineCode } from '../../markdown';
import { InvalidDecisionError, type Action, type Finding, type RecordUnit, type TaskKind } from '../kind';
import type { Task } from '../../types';
import { CodePointIndex, jsonStringOffsets } from './offsets';
import { spansSettings, spansSettingsOf } from './settings';
import { decidedSpans, overlaps, spanKey } from './state';
import { suggestions } from './suggestions';

export const SPAN_CODE = 'span';
export const SUGGESTION_CODE = 'span-suggestion';

interface SpanData {
  sampleId: string;
  start: number;
  end: number;
  label: string;
  score?: number;
}

/** From code points of the record's text to characters of its line (escapes like \n and \ud83d\ude00 included). */
function lineMapper(unit: RecordUnit, index: CodePointIndex): (cp: number) => number {
  const range = unit.textRange();
  const toRaw = jsonStringOffsets(unit.lineText.slice(range.start, range.end));
  return (cp) => range.start + (toRaw ? toRaw(index.toUtf16(cp)) : index.toUtf16(cp));
}

function finding(unit: RecordUnit, at: (cp: number) => number, code: string, message: string, data: SpanData, severity: Finding['severity']): Finding {
  return { code, severity, line: unit.line, start: at(data.start), end: at(data.end), message, data: { ...data } };
}

function otherLabels(task: Task, label: string): string[] {
  return task.labels.map((l) => l.name).filter((n) => n !== label);
}

export const spans: TaskKind = {
  name: 'spans',
  settings: spansSettings,
  assess(task, unit) {
    const index = new CodePointIndex(unit.sample.text);
    const at = lineMapper(unit, index);
    const decided = decidedSpans(unit.labels);
    const out: Finding[] = [];
    for (const d of decided.values()) {
      if (d.answer !== 'accept') continue;
      out.push(finding(unit, at, SPAN_CODE, d.label, { sampleId: unit.sample.id, start: d.start, end: d.end, label: d.label }, 'information'));
    }
    const seen = new Set<string>();
    for (const s of suggestions(unit.sample.text, unit.lineText, index, spansSettingsOf(task).patterns)) {
      const key = spanKey(s.start, s.end);
      // Any decision on the target (accepted, rejected, removed) settles it; one finding per target and label.
      if (decided.has(key) || seen.has(`${key}:${s.label}`)) continue;
      seen.add(`${key}:${s.label}`);
      out.push(finding(unit, at, SUGGESTION_CODE, `Suggested ${s.label} (${s.score.toFixed(2)})`, { sampleId: unit.sample.id, start: s.start, end: s.end, label: s.label, score: s.score }, 'hint'));
    }
    return out;
  },
  actions(task, f) {
    const d = f.data as unknown as SpanData;
    const target = { kind: 'span' as const, start: d.start, end: d.end };
    const base = { sampleId: d.sampleId, target };
    if (f.code === SUGGESTION_CODE) {
      // A suggestion with a label the task lacks can only be accepted as one of the task's labels.
      const known = task.labels.length === 0 || task.labels.some((l) => l.name === d.label);
      const actions: Action[] = known ? [{ title: `Accept ${d.label}`, isPreferred: true, decision: { ...base, label: d.label, answer: 'accept', source: 'prediction', ...(d.score !== undefined ? { score: d.score } : {}) } }] : [];
      for (const other of otherLabels(task, d.label)) actions.push({ title: `Accept as ${other}`, isPreferred: false, decision: { ...base, label: other, answer: 'accept', source: 'correction' } });
      actions.push({ title: `Reject ${d.label}`, isPreferred: false, decision: { ...base, label: d.label, answer: 'reject', source: 'prediction' } });
      return actions;
    }
    if (f.code === SPAN_CODE) {
      const actions: Action[] = otherLabels(task, d.label).map((other) => ({ title: `Change label to ${other}`, isPreferred: false, decision: { ...base, label: other, answer: 'accept', source: 'correction' } }));
      actions.push({ title: `Remove the ${d.label} span`, isPreferred: false, decision: { ...base, label: d.label, answer: 'ignore', source: 'manual' } });
      return actions;
    }
    return [];
  },
  hover(info) {
    const text = info.sample.text;
    const index = new CodePointIndex(text);
    const lines: string[] = [];
    for (const d of decidedSpans(info.labels).values()) {
      if (d.answer !== 'accept') continue;
      const def = info.task.labels.find((l) => l.name === d.label);
      const piece = text.slice(index.toUtf16(d.start), index.toUtf16(d.end));
      const guideline = def?.description ? ` — ${escapeMarkdown(def.description)}` : '';
      lines.push(`- ${inlineCode(piece)} **${escapeMarkdown(d.label)}** by ${escapeMarkdown(d.record.annotator)}, ${escapeMarkdown(d.record.time)}${guideline}`);
    }
    return `**${escapeMarkdown(info.task.name)}** · spans\n\n${lines.length ? lines.join('\n') : 'No labeled span.'}`;
  },
  decide(task, decision, unit) {
    const target = decision.target;
    if (target?.kind !== 'span') throw new InvalidDecisionError(`a decision of the spans task '${task.name}' needs a target {kind: "span", start, end} (code points of the text)`);
    const label = decision.label;
    if (!label || decision.labels) throw new InvalidDecisionError(`a span of task '${task.name}' gets one label ('label'), not a set`);
    // A reject may name a label the task lacks: it dismisses a record's or a rule's suggestion of it.
    if (decision.answer !== 'reject' && task.labels.length > 0 && !task.labels.some((l) => l.name === label)) throw new InvalidDecisionError(`'${label}' is not a label of task '${task.name}' (labels: ${task.labels.map((l) => l.name).join(', ')})`);
    const length = new CodePointIndex(unit.sample.text).codePointLength;
    if (target.end > length || target.end <= target.start) throw new InvalidDecisionError(`span ${target.start}-${target.end} is not inside the text of '${decision.sampleId}' (${length} code points)`);
    if (decision.answer === 'accept' && !spansSettingsOf(task).overlap) {
      for (const d of decidedSpans(unit.labels).values()) {
        if (d.answer === 'accept' && spanKey(d.start, d.end) !== spanKey(target.start, target.end) && overlaps(d, target)) {
          throw new InvalidDecisionError(`span ${target.start}-${target.end} overlaps the ${d.label} span ${d.start}-${d.end} of '${decision.sampleId}', and task '${task.name}' does not allow overlapping spans ("overlap": false); remove that span first or set "overlap": true`);
        }
      }
    }
    return { label, source: decision.source ?? 'manual' };
  },
};
