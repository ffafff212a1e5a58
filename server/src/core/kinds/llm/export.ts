// Export of reviewed LLM samples to the format a trainer reads, one JSON record per line, converting
// where the formats allow it (Alpaca → chat, ShareGPT → chat, chat → ShareGPT, single-turn chat →
// Alpaca, preference ↔ preference, a pair → chat on its chosen side). Deterministic: the same records
// and decisions give the same bytes (keys in a fixed order, records in file order).

import { DEFAULT_LLM_CONFIG, type LlmConfig } from './config';
import { sampleOf } from './assess';
import { formatFindings } from './checks/format';
import { emptyResponseFindings } from './checks/responses';
import { parsePath, type JsonPath } from './jsonPath';
import { valueAt } from './fixes';
import { toSample, type Sample, type Turn } from './sample';

export const EXPORT_FORMATS = ['openai-chat', 'sharegpt', 'alpaca', 'trl-preference', 'openai-dpo'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface SampleDecision {
  status: 'accepted' | 'rejected' | 'unreviewed';
  /** Corrected strings: the path of a value (`messages[2].content`) and its new text. */
  corrections?: ReadonlyArray<{ path: JsonPath | string; content: string }>;
  /** For a preference pair: chosen and rejected swapped. */
  swap?: boolean;
}

export interface ExportOptions {
  format: ExportFormat;
  /** Which samples go out; accepted only by default. */
  include?: ReadonlyArray<'accepted' | 'unreviewed'>;
  /** Records left out whatever their decision (the later copies of duplicates). */
  drop?: ReadonlySet<number>;
  config?: LlmConfig;
}

export interface ExportResult {
  /** JSONL, one record per line, ending with a line break (empty when nothing is exported). */
  text: string;
  exported: number;
  /** Samples that were included by their decision but cannot be written in the format, and why. */
  skipped: Array<{ index: number; reason: string }>;
}

type Obj = Record<string, unknown>;
type Message = { role: string; content: string | null; name?: string; tool_calls?: unknown; tool_call_id?: string; weight?: number };

function setAt(value: unknown, path: JsonPath, content: string): boolean {
  const parent = valueAt(value, path.slice(0, -1));
  if (parent === null || typeof parent !== 'object') return false;
  (parent as Record<string | number, unknown>)[path[path.length - 1]] = content;
  return true;
}

/** The record's value with the decision's corrections and swap applied (a copy). */
export function decidedValue(value: unknown, decision: SampleDecision | undefined, sample: Sample | undefined): unknown {
  if (!decision?.corrections?.length && !decision?.swap) return value;
  const copy = structuredClone(value);
  for (const c of decision.corrections ?? []) setAt(copy, typeof c.path === 'string' ? parsePath(c.path) : c.path, c.content);
  if (decision.swap && sample?.chosenPath && sample.rejectedPath) {
    const chosen = valueAt(copy, sample.chosenPath);
    const rejected = valueAt(copy, sample.rejectedPath);
    (copy as Obj)[sample.chosenPath[0] as string] = rejected;
    (copy as Obj)[sample.rejectedPath[0] as string] = chosen;
  }
  return copy;
}

/** A turn as an OpenAI chat message, known keys only, in a fixed order. */
function message(t: Turn, raw: unknown): Message {
  const m: Message = { role: t.role, content: t.content };
  const src = t.messagePath ? (valueAt(raw, t.messagePath) as Obj | undefined) : undefined;
  if (src && typeof src === 'object') {
    if (typeof src.name === 'string') m.name = src.name;
    if (src.tool_calls !== undefined) {
      m.tool_calls = src.tool_calls;
      if (src.content === null || src.content === undefined) m.content = null;
    }
    if (typeof src.tool_call_id === 'string') m.tool_call_id = src.tool_call_id;
    if (typeof src.weight === 'number') m.weight = src.weight;
  }
  return m;
}

/** The prompt turns as chat messages; Alpaca's instruction and input become one user message. */
function promptMessages(sample: Sample, raw: unknown): Message[] {
  const out: Message[] = [];
  for (const t of sample.turns) {
    const prev = out[out.length - 1];
    if (t.field === 'input' && prev) prev.content = `${prev.content ?? ''}\n\n${t.content}`;
    else out.push(message(t, raw));
  }
  return out;
}

const SHAREGPT_FROM: Record<string, string> = { system: 'system', user: 'human', assistant: 'gpt', tool: 'observation' };

function convert(sample: Sample, raw: unknown, format: ExportFormat): Obj | string {
  const pair = sample.chosen !== undefined;
  const tools = sample.tools;
  switch (format) {
    case 'openai-chat': {
      const messages = [...promptMessages(sample, raw), ...(sample.chosen ?? []).map((t) => message(t, raw))];
      return tools !== undefined ? { messages, tools } : { messages };
    }
    case 'sharegpt': {
      const messages = [...promptMessages(sample, raw), ...(sample.chosen ?? []).map((t) => message(t, raw))];
      if (messages.some((m) => m.tool_calls !== undefined || !SHAREGPT_FROM[m.role])) return 'it has tool calls or roles ShareGPT cannot write';
      return { conversations: messages.map((m) => ({ from: SHAREGPT_FROM[m.role], value: m.content ?? '' })) };
    }
    case 'alpaca': {
      if (pair) return 'a preference pair has no single output for Alpaca';
      const turns = sample.turns;
      const system = turns[0]?.role === 'system' ? turns[0] : undefined;
      const rest = system ? turns.slice(1) : turns;
      const users = rest.filter((t) => t.role === 'user');
      const last = rest[rest.length - 1];
      if (!last || last.role !== 'assistant' || rest.length - users.length !== 1 || users.length < 1 || users.length > 2 || (users.length === 2 && users[1].field !== 'input'))
        return `it has ${rest.length} turns: Alpaca holds one instruction (and input) and one output`;
      const out: Obj = { instruction: users[0].content, input: users[1]?.content ?? '', output: last.content };
      if (system) out.system = system.content;
      return out;
    }
    case 'trl-preference':
    case 'openai-dpo': {
      if (!pair) return 'it is not a preference pair';
      const prompt = promptMessages(sample, raw);
      const chosen = (sample.chosen ?? []).map((t) => message(t, raw));
      const rejected = (sample.rejected ?? []).map((t) => message(t, raw));
      if (format === 'openai-dpo') {
        const input: Obj = { messages: prompt };
        if (tools !== undefined) input.tools = tools;
        return { input, preferred_output: chosen, non_preferred_output: rejected };
      }
      // TRL's standard form (strings) when the source was written so, its conversational form otherwise.
      const r = raw as Obj;
      if (typeof r.chosen === 'string' && typeof r.rejected === 'string' && (r.prompt === undefined || typeof r.prompt === 'string'))
        return r.prompt === undefined ? { chosen: r.chosen, rejected: r.rejected } : { prompt: r.prompt, chosen: r.chosen, rejected: r.rejected };
      return { prompt, chosen, rejected };
    }
  }
}

/**
 * The export of `values` (the parsed records, in file order) under the decisions. A sample goes out
 * when its decision's status is in `include` (accepted only by default) and it is not in `drop`.
 * openai-chat output is checked with the format checks: a sample that would fail them is skipped,
 * with the reason, rather than written.
 */
export function exportLlm(values: readonly unknown[], decisions: (index: number) => SampleDecision | undefined, options: ExportOptions): ExportResult {
  const include = new Set(options.include ?? ['accepted']);
  const config = options.config ?? DEFAULT_LLM_CONFIG;
  const lines: string[] = [];
  const skipped: ExportResult['skipped'] = [];
  values.forEach((value, index) => {
    const decision = decisions(index);
    const status = decision?.status ?? 'unreviewed';
    if (status === 'rejected' || !include.has(status) || options.drop?.has(index)) return;
    const before = sampleOf(value, config);
    if (!before) {
      skipped.push({ index, reason: 'the record is in no known format' });
      return;
    }
    const raw = decidedValue(value, decision, before);
    const sample = toSample(raw, before.format)!;
    const out = convert(sample, raw, options.format);
    if (typeof out === 'string') {
      skipped.push({ index, reason: out });
      return;
    }
    if (options.format === 'openai-chat') {
      const chat = toSample(out, 'openai-chat')!;
      const errors = [...formatFindings(out, chat), ...emptyResponseFindings(chat)].filter((f) => f.severity === 'error');
      if (errors.length) {
        skipped.push({ index, reason: errors[0].message });
        return;
      }
    }
    lines.push(JSON.stringify(out));
  });
  return { text: lines.length ? `${lines.join('\n')}\n` : '', exported: lines.length, skipped };
}
