// A task kind written only in the test suite, to prove that a kind plugs in through the registry
// alone: it flags records whose text matches the task's `pattern` (a regular expression), and the
// annotator accepts (a true finding) or rejects (a false alarm) each flag.
import { escapeMarkdown } from '../../server/src/core/markdown';
import { InvalidDecisionError, type Finding, type TaskKind } from '../../server/src/core/kinds/kind';

interface FlagSettings {
  pattern: RegExp;
}

function settingsOf(task: { settings?: unknown }): FlagSettings {
  return task.settings as FlagSettings;
}

export const flagKind: TaskKind = {
  name: 'flag',
  settings: {
    properties: { pattern: { type: 'string', minLength: 1, description: 'A regular expression; records whose text matches it are flagged.' } },
    parse: (raw) => ({ pattern: new RegExp(String(raw['pattern'])) }),
  },
  assess(task, unit) {
    if (unit.current) return [];
    const match = settingsOf(task).pattern.exec(unit.sample.text);
    if (!match) return [];
    // The match as written on the line (this kind's records have no escapes in the matched part).
    const at = unit.lineText.indexOf(match[0], unit.textRange().start);
    const finding: Finding = {
      code: 'flagged',
      severity: 'warning',
      line: unit.line,
      start: at,
      end: at + match[0].length,
      message: `Flagged: matches ${String(settingsOf(task).pattern)}`,
      data: { sampleId: unit.sample.id, match: match[0] },
    };
    return [finding];
  },
  actions(_task, finding) {
    if (finding.code !== 'flagged') return [];
    const sampleId = finding.data.sampleId;
    return [
      { title: 'Confirm the flag', isPreferred: true, decision: { sampleId, label: 'flagged', answer: 'accept' } },
      { title: 'Reject: a false alarm', isPreferred: false, decision: { sampleId, label: 'flagged', answer: 'reject' } },
    ];
  },
  hover(info) {
    const state = info.current ? `${info.current.answer === 'accept' ? 'confirmed' : 'rejected'} by ${escapeMarkdown(info.current.annotator)}` : 'not reviewed';
    return `**flag** · ${escapeMarkdown(info.sample.text)} · ${state}`;
  },
  decide(_task, decision) {
    if (decision.label !== 'flagged' || decision.answer === 'ignore') throw new InvalidDecisionError('a flag is confirmed (accept) or rejected (reject), with the label "flagged"');
    return { label: 'flagged', source: 'manual' };
  },
};
