// The llm kind: chat transcripts, instruction samples and preference pairs, one record per line.
// Its findings are the checks of assess.ts on their exact range inside the record's line; its
// decisions are accept, reject (with a reason), a rating, and keep/swap/tie for a pair, stored as
// the label of the record (`accept`, `reject` or `reject:<reason>`, `rating:<n>`, `pair:keep|swap|tie`)
// so the canonical label-record format is unchanged. Text fixes (redact, strip, swap, drop) are
// workspace edits carried in the finding's data, built here from the record's own line.
import { escapeMarkdown } from '../../markdown';
import type { Task } from '../../types';
import { WHOLE_RECORD } from '../../dataset';
import { InvalidDecisionError, type Action, type Finding, type FindingData, type LineTextEdit, type RecordUnit, type TaskKind } from '../kind';
import { assessRecord, duplicateFindings, duplicateText, findingRange, sampleOf, sampleTokens } from './assess';
import { resolveLlmConfig, type LlmConfig } from './config';
import { LLM_CHECKS, type LlmFinding } from './findings';
import { redactEdit, stripRefusalEdit, swapEdits, type TextEdit } from './fixes';
import { parseLlmFile, type LlmRecord } from './records';
import { datasetState } from './datasetState';
import { LlmLearner } from './learner';
import type { Sample } from './sample';

export interface LlmSettings {
  config: LlmConfig;
  rejectReasons: string[];
  ratingScale: number;
  /** Why parts of the settings were ignored (shown in the hover: config validation already checked the shape). */
  problems: string[];
}

export const DEFAULT_REJECT_REASONS = ['wrong', 'unsafe', 'low quality', 'off topic', 'duplicate'];

const CONFIG_KEYS = ['format', 'checks', 'refusalPhrases', 'tokenBudget', 'encoding', 'nearDuplicateThreshold', 'pairSimilarityThreshold'] as const;

export function llmSettings(task: Pick<Task, 'settings'>): LlmSettings {
  const s = task.settings as LlmSettings | undefined;
  return s ?? { config: resolveLlmConfig(undefined).config, rejectReasons: DEFAULT_REJECT_REASONS, ratingScale: 5, problems: [] };
}

const PAIR_CODES = new Set(['llm/pair-identical', 'llm/pair-near-identical', 'llm/chosen-empty']);
const DUPLICATE_CODES = new Set(['llm/duplicate', 'llm/near-duplicate']);
/** The finding that carries the review decisions of a sample that no check flags but the model does. */
export const LOOKS_REJECTED = 'llm/looks-rejected';

/** Offsets in a one-line file are the line's characters. */
function lineEdits(line: number, edits: readonly TextEdit[]): LineTextEdit[] {
  return edits.map((e) => ({ line, start: e.start, end: e.end, newText: e.newText }));
}

/** Drops a duplicate by blanking its line (a blank line is no sample; the lines after keep their numbers). */
function dropLineEdit(line: number, lineText: string): LineTextEdit {
  return { line, start: 0, end: lineText.length, newText: '' };
}

/** The record of one line, as a one-record file: offsets are the line's characters. */
function lineRecord(lineText: string): { record: LlmRecord | undefined; file: ReturnType<typeof parseLlmFile> } {
  const file = parseLlmFile(lineText);
  return { record: file.records[0], file };
}

function fixOf(record: LlmRecord, sample: Sample | undefined, f: LlmFinding, line: number, lineText: string): { title: string; edit: LineTextEdit[] } | undefined {
  if (f.data?.placeholder !== undefined) {
    const e = redactEdit(record, f);
    return e ? { title: `Redact as ${String(f.data.placeholder)}`, edit: lineEdits(line, [e]) } : undefined;
  }
  if (f.code === 'llm/refusal') {
    const e = stripRefusalEdit(record, f);
    return e ? { title: 'Strip the refusal sentence', edit: lineEdits(line, [e]) } : undefined;
  }
  if (PAIR_CODES.has(f.code) && sample?.chosen && sample.rejected) {
    const edits = swapEdits(record, sample);
    return edits.length ? { title: 'Swap chosen and rejected in the file', edit: lineEdits(line, edits) } : undefined;
  }
  if (DUPLICATE_CODES.has(f.code)) return { title: 'Drop this duplicate sample', edit: [dropLineEdit(line, lineText)] };
  return undefined;
}

function toFinding(unit: RecordUnit, file: ReturnType<typeof parseLlmFile>, record: LlmRecord, sample: Sample | undefined, f: LlmFinding): Finding {
  const r = findingRange(file, record, f);
  const data: FindingData = { sampleId: unit.sample.id, check: f.code, ...(f.data ?? {}), pair: Boolean(sample?.chosen) };
  const fix = fixOf(record, sample, f, unit.line, unit.lineText);
  if (fix) data.fix = fix;
  const out: Finding = { code: f.code, severity: f.severity, line: unit.line, start: r.startCharacter, end: r.endLine === r.startLine ? r.endCharacter : unit.lineText.length, message: f.message, data };
  if (f.related && unit.dataset) {
    const other = f.related.index;
    out.message += ` (line ${other + 1})`;
    out.related = { line: other, start: 0, end: unit.dataset.lineText(other).length, message: f.related.message };
  }
  return out;
}

export const llm: TaskKind = {
  name: 'llm',
  textField: WHOLE_RECORD,
  settings: {
    properties: {
      format: { enum: ['auto', 'openai-chat', 'sharegpt', 'prompt-completion', 'alpaca', 'trl-preference', 'openai-dpo'], description: 'The format of the records; auto detects it per record.' },
      checks: { type: 'object', additionalProperties: { enum: ['off', 'error', 'warning', 'information', 'hint'] }, propertyNames: { enum: Object.keys(LLM_CHECKS) }, description: 'Per check code: off, or another severity.' },
      refusalPhrases: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Refusal phrases added to the built-in list (case-insensitive).' },
      tokenBudget: { type: 'integer', minimum: 0, description: 'Tokens per sample (prompt and responses); 0 = no budget.' },
      encoding: { enum: ['o200k_base', 'cl100k_base'], description: 'The tokenizer that counts tokens.' },
      nearDuplicateThreshold: { type: 'number', minimum: 0.5, maximum: 1, description: 'Estimated Jaccard similarity of 5-word shingles from which samples are near duplicates.' },
      pairSimilarityThreshold: { type: 'number', minimum: 0.5, maximum: 1, description: 'Word-bigram Jaccard of chosen and rejected above which they are nearly the same.' },
      rejectReasons: { type: 'array', items: { type: 'string', minLength: 1, pattern: '^[^:]+$' }, description: 'The reasons a reviewer picks from when rejecting a sample.' },
      ratingScale: { type: 'integer', minimum: 2, maximum: 10, description: 'Ratings go from 1 to this number.' },
    },
    parse(raw): LlmSettings {
      const picked: Record<string, unknown> = {};
      for (const k of CONFIG_KEYS) if (raw[k] !== undefined) picked[k] = raw[k];
      const { config, problems } = resolveLlmConfig(picked);
      const reasons = Array.isArray(raw['rejectReasons']) ? (raw['rejectReasons'] as string[]) : DEFAULT_REJECT_REASONS;
      const scale = typeof raw['ratingScale'] === 'number' ? raw['ratingScale'] : 5;
      return { config, rejectReasons: reasons, ratingScale: scale, problems };
    },
  },
  assess(task, unit) {
    const { config } = llmSettings(task);
    const { record, file } = lineRecord(unit.lineText);
    if (!record || record.value === undefined) return [];
    const state = unit.dataset ? datasetState(unit.dataset, config) : undefined;
    const own = assessRecord(record, config, state?.stats);
    const sample = sampleOf(record.value, config);
    const all = state && sample ? own.concat(duplicateFindings(state.index(unit.line, duplicateText(sample)), unit.line, config)) : own;
    const out = all.map((f) => toFinding(unit, file, record, sample, f));
    const model = unit.predictions.model;
    if (!unit.current && model?.label === 'reject') {
      const r = unit.textRange();
      out.push({
        code: LOOKS_REJECTED, severity: 'information', line: unit.line, ...r,
        message: `The model says this sample looks like the ones you rejected (score ${model.score.toFixed(2)})`,
        data: { sampleId: unit.sample.id, check: LOOKS_REJECTED, score: model.score, pair: Boolean(sample?.chosen) },
      });
    }
    return out;
  },
  actions(task, finding) {
    const { rejectReasons, ratingScale } = llmSettings(task);
    const sampleId = finding.data.sampleId;
    const out: Action[] = [];
    const fix = finding.data['fix'] as { title: string; edit: LineTextEdit[] } | undefined;
    if (fix) out.push({ title: fix.title, isPreferred: true, edit: fix.edit });
    out.push({ title: 'Accept the sample', isPreferred: !fix, decision: { sampleId, label: 'accept', answer: 'accept' } });
    out.push({ title: 'Reject the sample', isPreferred: false, decision: { sampleId, label: 'reject', answer: 'accept' } });
    for (const reason of rejectReasons) out.push({ title: `Reject: ${reason}`, isPreferred: false, decision: { sampleId, label: `reject:${reason}`, answer: 'accept' } });
    for (let n = 1; n <= ratingScale; n++) out.push({ title: `Rate ${n} of ${ratingScale}`, isPreferred: false, decision: { sampleId, label: `rating:${n}`, answer: 'accept' } });
    if (finding.data['pair']) {
      for (const p of ['keep', 'swap', 'tie']) out.push({ title: `Pair: ${p}`, isPreferred: false, decision: { sampleId, label: `pair:${p}`, answer: 'accept' } });
    }
    return out;
  },
  learner: (folder) => new LlmLearner(folder),
  hover(info) {
    const { config } = llmSettings(info.task);
    const { record } = lineRecord(info.lineText);
    const sample = record?.value === undefined ? undefined : sampleOf(record.value, config);
    if (!record || !sample) return '**llm** · not a sample in a known format';
    const turns = sample.turns.length + (sample.chosen ? 1 : 0);
    const tokens = sampleTokens(sample, config.encoding);
    const checks = assessRecord(record, config).map((f) => `- \`${f.code}\` ${escapeMarkdown(f.message)}`);
    const state = info.current ? `${escapeMarkdown(info.current.label ?? '')} by ${escapeMarkdown(info.current.annotator)}` : 'not reviewed';
    return [`**llm** · ${escapeMarkdown(sample.format)} · ${turns} turns · ${tokens} tokens (${config.encoding}) · ${state}`, '', ...(checks.length ? checks : ['no check finds anything'])].join('\n');
  },
  decide(task, decision) {
    const { rejectReasons, ratingScale } = llmSettings(task);
    const label = decision.label;
    if (decision.labels !== undefined || typeof label !== 'string') throw new InvalidDecisionError(`A decision on '${decision.sampleId}' has one "label": accept, reject, reject:<reason>, rating:<n> or pair:keep|swap|tie`);
    if (decision.answer !== 'accept') throw new InvalidDecisionError(`A decision on '${decision.sampleId}' is written with answer "accept" (the label says what was decided)`);
    const ok =
      label === 'accept' || label === 'reject' ||
      (label.startsWith('reject:') && rejectReasons.includes(label.slice(7))) ||
      (/^rating:\d+$/.test(label) && Number(label.slice(7)) >= 1 && Number(label.slice(7)) <= ratingScale) ||
      label === 'pair:keep' || label === 'pair:swap' || label === 'pair:tie';
    if (!ok) throw new InvalidDecisionError(`'${label}' is not a decision of task '${task.name}': accept, reject, reject:<${rejectReasons.join('|')}>, rating:1..${ratingScale} or pair:keep|swap|tie`);
    return { label, source: 'manual' };
  },
};
