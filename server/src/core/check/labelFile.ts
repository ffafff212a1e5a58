// `loopmark check` on a label file: every line parses as a label record, names labels of the task and
// samples of the dataset, and the file is canonical. Two decisions with the same key (what a union
// merge of two branches leaves when both decided the same sample) are reported with the one that counts.
import { canonicalLabelText, labelKey, labelLines, supersedes, serializeLabel, toLabelRecord } from '../labels';
import { describeLabels, recordLabels } from '../labelSets';
import { isBlank, splitLines } from '../jsonl';
import type { LabelRecord } from '../types';
import type { CheckProblem } from './problem';

export interface LabelFileContext {
  /** The file as printed. */
  file: string;
  /** The task's declared labels; undefined for an inferred task (any label is one of its labels). */
  labels?: readonly string[];
  multiLabel?: boolean;
  /** Does the dataset have this sample? Undefined: not checked (no dataset found). */
  hasSample?: (id: string) => boolean;
}

/** Why the text is not canonical, at the first line where it departs, or undefined when it is. */
function firstDeparture(text: string, records: readonly LabelRecord[], file: string): CheckProblem | undefined {
  const canonical = canonicalLabelText(records);
  if (text === canonical) return undefined;
  const lines = splitLines(text);
  const fix = 'Loopmark rewrites it on its next write, or run `loopmark check --fix`';
  const at = (line: number, message: string): CheckProblem => ({ file, line, severity: 'warning', code: 'not-canonical', message: `${message}; ${fix}` });
  if (text.charCodeAt(0) === 0xfeff) return at(0, 'starts with a byte order mark');
  if (text.includes('\r')) return at(Math.max(0, text.slice(0, text.indexOf('\r')).split('\n').length - 1), 'has CR line endings, not LF');
  const wanted = canonical.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === wanted[i]) continue;
    if (isBlank(line)) return at(i, 'a blank line');
    const record = toLabelRecord(JSON.parse(line));
    if (typeof record !== 'string' && serializeLabel(record) !== line) return at(i, 'the record is not written in canonical form (key order, spacing, sorted set)');
    return at(i, 'records are not in canonical order (sorted by sample id, target and annotator, one per key)');
  }
  return at(Math.max(0, lines.length - 1), text.endsWith('\n') ? 'not canonical' : 'no final newline');
}

export function checkLabelFile(text: string, context: LabelFileContext): CheckProblem[] {
  const { file } = context;
  const problems: CheckProblem[] = [];
  const problem = (line: number, severity: CheckProblem['severity'], code: CheckProblem['code'], message: string) => problems.push({ file, line, severity, code, message });
  const known = context.labels ? new Set(context.labels) : undefined;
  const byKey = new Map<string, { line: number; record: LabelRecord; decision: string }>();
  let unparseable = false;
  for (const item of labelLines(text)) {
    const i = item.line;
    if ('problem' in item) {
      const hint = item.kind === 'conflict-marker' ? ' (then run `loopmark init` and commit .gitattributes: the next merge needs no markers)' : '';
      problem(i, 'error', item.kind, `${item.problem.message}${item.problem.start === undefined ? '' : ` (column ${item.problem.start + 1})`}${hint}`);
      unparseable = true;
      continue;
    }
    const { record } = item;
    if (Number.isNaN(Date.parse(record.time))) problem(i, 'error', 'invalid-time', `"time" ${JSON.stringify(record.time)} is not an ISO 8601 date: two decisions of the same annotator on the same sample cannot be ordered`);
    if (context.multiLabel === false && record.labels) problem(i, 'error', 'invalid-record', `a set of labels (${describeLabels(record)}) in a single-label task: use "label"`);
    if (known && record.answer !== 'ignore') {
      const unknown = recordLabels(record).filter((l) => !known.has(l));
      if (unknown.length > 0) problem(i, 'error', 'unknown-label', `${unknown.map((l) => `'${l}'`).join(', ')} not in the task's labels (${[...known].join(', ')}): fix the label or add it to loopmark.json`);
    }
    if (context.hasSample && !context.hasSample(record.id)) problem(i, 'error', 'missing-sample', `label of sample '${record.id}', which the dataset no longer has: restore the sample or delete this line`);
    const key = labelKey(record);
    const decision = JSON.stringify([record.label, record.labels, record.answer]);
    const previous = byKey.get(key);
    if (!previous) {
      byKey.set(key, { line: i, record, decision });
      continue;
    }
    const [winner, loser] = supersedes(record, previous.record) ? [{ line: i, record }, previous] : [previous, { line: i, record }];
    const who = `${record.annotator} on '${record.id}'${record.target ? ` (${record.target.kind})` : ''}`;
    if (decision === previous.decision) {
      problem(i, 'warning', 'duplicate-record', `the same decision of ${who} as line ${previous.line + 1}; compaction keeps one`);
    } else {
      problem(i, 'warning', 'conflicting-decisions', `${who} decided ${describeLabels(loser.record)} (${loser.record.answer}, line ${loser.line + 1}, ${loser.record.time}) and ${describeLabels(winner.record)} (${winner.record.answer}, line ${winner.line + 1}, ${winner.record.time}): the later, line ${winner.line + 1}, counts; the other is dropped at the next compaction`);
    }
    byKey.set(key, { ...winner, decision: JSON.stringify([winner.record.label, winner.record.labels, winner.record.answer]) });
  }
  if (!unparseable) {
    const latest = [...byKey.values()].map((v) => v.record);
    const departure = firstDeparture(text, latest, file);
    if (departure) problems.push(departure);
  }
  return problems.sort((a, b) => a.line - b.line);
}
