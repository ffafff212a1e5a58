// The format errors of OpenAI's data-preparation checks, extended to tool calls (they accept
// `tool_calls` and `tool` messages since 2024) and to ShareGPT's from/value, then the structure of
// the conversation: roles alternate, system comes first, the last turn is the assistant's.

import { finding, type LlmFinding } from '../findings';
import type { JsonPath } from '../jsonPath';
import { type LlmFormat, type Sample, type Turn, isSharegptRole, sharegptRole } from '../sample';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const CHAT_KEYS = new Set(['role', 'content', 'name', 'weight', 'function_call', 'tool_calls', 'tool_call_id', 'refusal']);
const CHAT_ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const SHAREGPT_KEYS = new Set(['from', 'value', 'weight', 'name']);

/** A record in none of the formats, or not an object: the finding that says so. */
export function recordFormatFinding(value: unknown, forced: LlmFormat | undefined): LlmFinding | undefined {
  if (!isObj(value)) return finding('llm/not-object', `A sample must be a JSON object; this record is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}.`, []);
  if (forced) return undefined;
  const keys = Object.keys(value).slice(0, 6).join(', ') || 'none';
  return finding('llm/unknown-format', `No known format has these keys (${keys}): expected messages, conversations, instruction/output, prompt/completion, prompt/chosen/rejected or input/preferred_output.`, []);
}

function messageChecks(list: unknown, base: JsonPath, chat: boolean, out: LlmFinding[]): void {
  (list as unknown[]).forEach((m, i) => {
    const path = [...base, i];
    if (!isObj(m)) {
      out.push(finding('llm/message-missing-key', 'A message must be an object with a role and a content.', path));
      return;
    }
    const roleKey = chat ? 'role' : 'from';
    const contentKey = chat ? 'content' : 'value';
    const role = m[roleKey];
    const hasCall = chat && ((Array.isArray(m.tool_calls) && m.tool_calls.length > 0) || isObj(m.function_call));
    if (typeof role !== 'string') out.push(finding('llm/message-missing-key', `This message has no "${roleKey}": the trainer cannot tell who speaks.`, path));
    else if (chat ? !CHAT_ROLES.has(role) : !isSharegptRole(role))
      out.push(finding('llm/unknown-role', `Role ${JSON.stringify(role)} is not one of ${chat ? [...CHAT_ROLES].join(', ') : 'human, gpt, system, function_call, observation'}.`, [...path, roleKey]));
    const content = m[contentKey];
    if (!(contentKey in m) || (content === null && !hasCall)) out.push(finding('llm/message-missing-key', `This message has no "${contentKey}".`, path));
    // OpenAI counts an empty content as missing; an empty assistant content is llm/empty-response's to say.
    else if (content === '' && !hasCall && (chat ? role : sharegptRole(String(role))) !== 'assistant')
      out.push(finding('llm/message-missing-key', `This message's "${contentKey}" is empty: OpenAI's checks count it as missing.`, [...path, contentKey]));
    else if (content !== null && typeof content !== 'string' && !(chat && Array.isArray(content)))
      out.push(finding('llm/message-missing-key', `The "${contentKey}" of a message must be a string, not ${typeof content}.`, [...path, contentKey]));
    for (const key of Object.keys(m)) {
      if (!(chat ? CHAT_KEYS : SHAREGPT_KEYS).has(key)) out.push(finding('llm/unknown-key', `Key ${JSON.stringify(key)} is not a message key of the format; the trainer rejects the file.`, [...path, key], { data: { key: true } }));
    }
  });
}

/** The format errors of a record already known to be in `format`. */
export function formatFindings(value: Obj, sample: Sample): LlmFinding[] {
  const out: LlmFinding[] = [];
  const lists: Array<[unknown, JsonPath, boolean]> = [];
  switch (sample.format) {
    case 'openai-chat':
      lists.push([value.messages, ['messages'], true]);
      break;
    case 'sharegpt':
      lists.push([value.conversations, ['conversations'], false]);
      break;
    case 'openai-dpo':
      lists.push([isObj(value.input) ? value.input.messages : undefined, ['input', 'messages'], true]);
      for (const key of ['preferred_output', 'non_preferred_output']) lists.push([value[key], [key], true]);
      break;
    case 'trl-preference':
      for (const key of ['prompt', 'chosen', 'rejected']) if (Array.isArray(value[key])) lists.push([value[key], [key], true]);
      break;
    case 'alpaca':
      for (const key of ['instruction', 'output']) {
        if (typeof value[key] !== 'string') out.push(finding('llm/message-missing-key', `An Alpaca sample needs a string "${key}".`, key in value ? [key] : []));
      }
      if (value.input !== undefined && typeof value.input !== 'string') out.push(finding('llm/message-missing-key', 'The "input" of an Alpaca sample must be a string.', ['input']));
      return out;
    case 'prompt-completion':
      for (const key of ['prompt', 'completion']) {
        if (typeof value[key] !== 'string' && !Array.isArray(value[key])) out.push(finding('llm/message-missing-key', `A prompt/completion sample needs "${key}" as a string or a list of messages.`, key in value ? [key] : []));
      }
      return out;
  }
  for (const [list, path, chat] of lists) {
    if (!Array.isArray(list) || list.length === 0) {
      const at = path.length > 1 && !isObj(value[path[0] as string]) ? [] : path;
      out.push(finding('llm/no-messages', `There is no ${chat ? 'messages' : 'conversations'} list at ${path.join('.')}: the sample has nothing to train on.`, list === undefined ? at.slice(0, -1) : at));
      continue;
    }
    messageChecks(list, path, chat, out);
  }
  if (sample.format === 'openai-chat' || sample.format === 'sharegpt') {
    if (sample.turns.length > 0 && !sample.turns.some((t) => t.role === 'assistant'))
      out.push(finding('llm/no-assistant', 'No assistant message: a fine-tuning example needs at least one response to learn.', [sample.format === 'openai-chat' ? 'messages' : 'conversations']));
  }
  if (sample.chosen && !sample.chosen.some((t) => t.role === 'assistant') && Array.isArray(value[sample.chosenPath![0] as string]))
    out.push(finding('llm/no-assistant', 'The chosen side has no assistant message.', sample.chosenPath!));
  return out;
}

/** Two turns of the same role in a row, a late system message, a conversation that does not end with the assistant. */
export function structureFindings(sample: Sample): LlmFinding[] {
  const out: LlmFinding[] = [];
  if (sample.format === 'alpaca' || sample.format === 'prompt-completion') return out; // one prompt, one response by construction
  const convo: Turn[] = sample.chosen ? [...sample.turns] : sample.turns;
  convo.forEach((t, i) => {
    const prev = convo[i - 1];
    if (t.role === 'system' && i > 0 && prev?.role !== 'system') out.push(finding('llm/system-not-first', 'A system message after the conversation started: most chat templates put it first or drop it.', t.messagePath ?? t.path));
    // Consecutive tool messages answer parallel tool calls; consecutive system messages are a split preamble.
    if (prev && t.role === prev.role && t.role && t.role !== 'tool' && t.role !== 'system')
      out.push(finding('llm/repeated-role', `Two ${t.role} turns in a row: chat templates that require alternating roles reject this sample.`, t.messagePath ?? t.path));
  });
  if (!sample.chosen) {
    const last = convo[convo.length - 1];
    if (last && last.role !== 'assistant' && convo.some((t) => t.role === 'assistant'))
      out.push(finding('llm/no-final-assistant', `The conversation ends with a ${last.role || 'message without role'} turn: nothing is learned from it.`, last.messagePath ?? last.path));
  }
  return out;
}
