// One model for every LLM data format: a sample is a list of turns, each with the JSON path of its
// content in the record, and for preference pairs the chosen and rejected turns. Checks, fixes and
// export work on this model; only this file knows the formats' field names.

import type { JsonPath } from './jsonPath';

export const LLM_FORMATS = ['openai-chat', 'sharegpt', 'prompt-completion', 'alpaca', 'trl-preference', 'openai-dpo'] as const;
export type LlmFormat = (typeof LLM_FORMATS)[number];

export interface ToolCall {
  id?: string;
  name: string;
  /** The arguments as written: a JSON text in a string (OpenAI), or an object already parsed. */
  arguments: unknown;
  /** Path of the arguments value. */
  path: JsonPath;
}

export interface Turn {
  /** system, user, assistant, tool (ShareGPT's human/gpt are mapped); an unknown role is kept as written. */
  role: string;
  content: string;
  /** Path of the content string; for a turn without one (no content), the path of the message. */
  path: JsonPath;
  /** Path of the whole message object, when the turn is one (chat formats). */
  messagePath?: JsonPath;
  toolCalls?: ToolCall[];
  /** A tool message answers the call with this id. */
  toolCallId?: string;
  /** Alpaca's `input` is a second user field, joined to the instruction on export. */
  field?: 'instruction' | 'input';
}

export interface Sample {
  format: LlmFormat;
  /** The conversation; for a preference pair, the prompt. */
  turns: Turn[];
  chosen?: Turn[];
  rejected?: Turn[];
  /** Paths of the chosen and rejected values (for the pair unit and the swap). */
  chosenPath?: JsonPath;
  rejectedPath?: JsonPath;
  /** Tool definitions of the record (`tools` or `functions`), as written. */
  tools?: unknown;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The format a record's keys say it is in, or undefined. Preference formats are tested first (they may hold `messages`). */
export function detectFormat(value: unknown): LlmFormat | undefined {
  if (!isObj(value)) return undefined;
  if ('preferred_output' in value || 'non_preferred_output' in value) return 'openai-dpo';
  if ('chosen' in value && 'rejected' in value) return 'trl-preference';
  if ('messages' in value) return 'openai-chat';
  if ('conversations' in value) return 'sharegpt';
  if ('instruction' in value && 'output' in value) return 'alpaca';
  if ('prompt' in value && 'completion' in value) return 'prompt-completion';
  return undefined;
}

const SHAREGPT_ROLES: Record<string, string> = {
  human: 'user', user: 'user', gpt: 'assistant', assistant: 'assistant', chatgpt: 'assistant', bard: 'assistant', bing: 'assistant',
  model: 'assistant', system: 'system', function_call: 'assistant', observation: 'tool', tool: 'tool', function_response: 'tool',
};

export function isSharegptRole(from: string): boolean {
  return Object.prototype.hasOwnProperty.call(SHAREGPT_ROLES, from.toLowerCase());
}

/** Maps a ShareGPT `from` to a chat role; unknown names are kept so the format check can name them. */
export function sharegptRole(from: string): string {
  return SHAREGPT_ROLES[from.toLowerCase()] ?? from;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

function chatTurns(messages: unknown, base: JsonPath): Turn[] {
  if (!Array.isArray(messages)) return [];
  return messages.map((m, i): Turn => {
    const messagePath = [...base, i];
    if (!isObj(m)) return { role: '', content: '', path: messagePath, messagePath };
    const turn: Turn = {
      role: typeof m.role === 'string' ? m.role : '',
      content: text(m.content),
      path: typeof m.content === 'string' ? [...messagePath, 'content'] : messagePath,
      messagePath,
    };
    const calls: ToolCall[] = [];
    if (Array.isArray(m.tool_calls)) {
      m.tool_calls.forEach((c, j) => {
        const fn = isObj(c) && isObj(c.function) ? c.function : undefined;
        calls.push({
          ...(isObj(c) && typeof c.id === 'string' ? { id: c.id } : {}),
          name: fn && typeof fn.name === 'string' ? fn.name : '',
          arguments: fn?.arguments,
          path: [...messagePath, 'tool_calls', j, 'function', 'arguments'],
        });
      });
    }
    if (isObj(m.function_call)) calls.push({ name: text(m.function_call.name), arguments: m.function_call.arguments, path: [...messagePath, 'function_call', 'arguments'] });
    if (calls.length) turn.toolCalls = calls;
    if (typeof m.tool_call_id === 'string') turn.toolCallId = m.tool_call_id;
    return turn;
  });
}

function sharegptTurns(conversations: unknown): Turn[] {
  if (!Array.isArray(conversations)) return [];
  return conversations.map((m, i): Turn => {
    const messagePath: JsonPath = ['conversations', i];
    if (!isObj(m)) return { role: '', content: '', path: messagePath, messagePath };
    return {
      role: typeof m.from === 'string' ? sharegptRole(m.from) : '',
      content: text(m.value),
      path: typeof m.value === 'string' ? [...messagePath, 'value'] : messagePath,
      messagePath,
    };
  });
}

/** A TRL field that is a string (one turn of `role`) or a list of messages. */
function trlTurns(v: unknown, key: string, role: string): Turn[] {
  if (typeof v === 'string') return [{ role, content: v, path: [key] }];
  return chatTurns(v, [key]);
}

/** The sample of a record in `format` (detected when not given), or undefined when the record is in no known format. */
export function toSample(value: unknown, format: LlmFormat | undefined = detectFormat(value)): Sample | undefined {
  if (!format || !isObj(value)) return undefined;
  const tools = value.tools ?? value.functions;
  const withTools = (s: Sample): Sample => (tools !== undefined ? { ...s, tools } : s);
  switch (format) {
    case 'openai-chat':
      return withTools({ format, turns: chatTurns(value.messages, ['messages']) });
    case 'sharegpt': {
      const turns = sharegptTurns(value.conversations);
      if (typeof value.system === 'string') turns.unshift({ role: 'system', content: value.system, path: ['system'] });
      return withTools({ format, turns });
    }
    case 'prompt-completion':
      return { format, turns: [...trlTurns(value.prompt, 'prompt', 'user'), ...trlTurns(value.completion, 'completion', 'assistant')] };
    case 'alpaca': {
      const turns: Turn[] = [];
      if (typeof value.system === 'string' && value.system) turns.push({ role: 'system', content: value.system, path: ['system'] });
      turns.push({ role: 'user', content: text(value.instruction), path: ['instruction'], field: 'instruction' });
      if (typeof value.input === 'string' && value.input.trim()) turns.push({ role: 'user', content: value.input, path: ['input'], field: 'input' });
      turns.push({ role: 'assistant', content: text(value.output), path: ['output'] });
      return { format, turns };
    }
    case 'trl-preference':
      return {
        format,
        turns: value.prompt === undefined ? [] : trlTurns(value.prompt, 'prompt', 'user'),
        chosen: trlTurns(value.chosen, 'chosen', 'assistant'),
        rejected: trlTurns(value.rejected, 'rejected', 'assistant'),
        chosenPath: ['chosen'],
        rejectedPath: ['rejected'],
      };
    case 'openai-dpo': {
      const input = isObj(value.input) ? value.input : {};
      const s: Sample = {
        format,
        turns: chatTurns(input.messages, ['input', 'messages']),
        chosen: chatTurns(value.preferred_output, ['preferred_output']),
        rejected: chatTurns(value.non_preferred_output, ['non_preferred_output']),
        chosenPath: ['preferred_output'],
        rejectedPath: ['non_preferred_output'],
      };
      return input.tools !== undefined ? { ...s, tools: input.tools } : s;
    }
  }
}

/** The responses of a sample: its assistant turns, or for a pair the chosen and rejected assistant turns. */
export function responses(sample: Sample): Turn[] {
  const own = sample.turns.filter((t) => t.role === 'assistant');
  if (!sample.chosen) return own;
  return [...(sample.chosen ?? []), ...(sample.rejected ?? [])].filter((t) => t.role === 'assistant');
}

/** Every turn of a sample, prompt first, then chosen and rejected. */
export function allTurns(sample: Sample): Turn[] {
  return [...sample.turns, ...(sample.chosen ?? []), ...(sample.rejected ?? [])];
}

export type UnitKind = 'sample' | 'turn' | 'pair';
export interface LlmUnit {
  kind: UnitKind;
  /** Path of the unit's value in the record ([] for the sample: the whole record). */
  path: JsonPath;
  /** For a turn: its index in allTurns(sample). */
  turn?: number;
}

/** The units of annotation of a sample: the sample, each turn, and for a preference pair the pair. */
export function unitsOf(sample: Sample): LlmUnit[] {
  const units: LlmUnit[] = [{ kind: 'sample', path: [] }];
  allTurns(sample).forEach((t, i) => units.push({ kind: 'turn', path: t.messagePath ?? t.path, turn: i }));
  if (sample.chosen) units.push({ kind: 'pair', path: [] });
  return units;
}
