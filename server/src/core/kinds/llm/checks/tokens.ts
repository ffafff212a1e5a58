// Token budget with a real tokenizer: gpt-tokenizer's bundled BPE ranks (o200k_base for GPT-4o and
// later, cl100k_base for GPT-4/3.5), counted as OpenAI's cookbook counts a chat: 3 tokens of
// framing per message and 3 to prime the reply.

import type { Encoding } from '../config';
import { finding, type LlmFinding } from '../findings';
import { type Sample, allTurns } from '../sample';

type Count = (text: string) => number;
const counters = new Map<Encoding, Count>();

/**
 * The encoding's counter, loaded on first use: each encoding's ranks are ~2 MB of JavaScript to
 * evaluate, which a server that never counts (GSM8K never needs to, see tokenFindings) should not pay.
 */
function counter(encoding: Encoding): Count {
  let count = counters.get(encoding);
  if (!count) {
    const mod = (encoding === 'cl100k_base'
      ? require('gpt-tokenizer/cjs/encoding/cl100k_base')
      : require('gpt-tokenizer/cjs/encoding/o200k_base')) as typeof import('gpt-tokenizer/cjs/encoding/o200k_base');
    count = (text: string) => mod.countTokens(text);
    counters.set(encoding, count);
  }
  return count;
}

const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;

/** The tokens of a sample: every turn (for a pair: prompt, chosen and rejected), with the chat framing. */
export function sampleTokens(sample: Sample, encoding: Encoding = 'o200k_base'): number {
  const count = counter(encoding);
  let n = REPLY_PRIMING;
  for (const t of allTurns(sample)) {
    n += PER_MESSAGE + (t.content ? count(t.content) : 0) + (t.role ? 1 : 0);
    for (const c of t.toolCalls ?? []) n += count(`${c.name}${typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? '')}`);
  }
  return n;
}

/** An upper bound on sampleTokens: a BPE token is at least one UTF-8 byte. */
function tokenBound(sample: Sample): number {
  let n = REPLY_PRIMING;
  for (const t of allTurns(sample)) {
    n += PER_MESSAGE + 1 + Buffer.byteLength(t.content, 'utf8');
    for (const c of t.toolCalls ?? []) n += Buffer.byteLength(`${c.name}${typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? '')}`, 'utf8');
  }
  return n;
}

/**
 * Over the budget? The byte bound decides without tokenizing for samples far under it (every GSM8K
 * sample: its longest is 1.5 kB against 4,096), which keeps the whole check under 10 ms there.
 */
export function tokenFindings(sample: Sample, budget: number, encoding: Encoding = 'o200k_base'): LlmFinding[] {
  if (budget <= 0 || tokenBound(sample) <= budget) return [];
  const tokens = sampleTokens(sample, encoding);
  if (tokens <= budget) return [];
  return [finding('llm/token-budget', `This sample has ${tokens.toLocaleString('en-US')} tokens (${encoding}), over the budget of ${budget.toLocaleString('en-US')}: the trainer truncates or drops it.`, [], { data: { tokens, budget, encoding } })];
}
