// Boilerplate refusals, disclaimers and model self-identification in responses: a model fine-tuned on
// them learns to refuse and to call itself "an AI language model". The list is the phrases the
// Alpaca-cleaning and ShareGPT-unfiltering projects removed most often; a task adds its own.

import { finding, type LlmFinding } from '../findings';
import { type Sample, responses } from '../sample';

export const REFUSAL_PHRASES: readonly string[] = [
  'as an ai language model', 'as a language model', 'as an ai assistant', 'as an ai model', 'as an artificial intelligence',
  'as a large language model', 'i am an ai', "i'm an ai", 'i am just an ai', "i'm just an ai", 'i am only an ai',
  'i cannot fulfill', "i can't fulfill", 'i cannot comply', "i can't comply", 'i cannot assist with', "i can't assist with",
  "i'm sorry, but i cannot", "i'm sorry, but i can't", 'i apologize, but i cannot', "i apologize, but i can't",
  "i'm not able to provide", 'i am not able to provide', 'it is not appropriate for me to', 'against my programming',
  'as of my last update', 'as of my last knowledge update', 'as of my knowledge cutoff', 'my knowledge cutoff',
  'as of my training data', 'my training data only goes',
  "i don't have personal opinions", 'i do not have personal opinions', "i don't have personal beliefs", 'i do not have personal beliefs',
  "i don't have the ability to browse", 'i do not have the ability to browse', 'i do not have access to real-time', "i don't have access to real-time",
  'i was created by openai', 'developed by openai', 'trained by openai', 'i am chatgpt', "i'm chatgpt", "openai's content policy", 'openai content policy',
];

const cache = new Map<string, RegExp>();

/** One regex for the built-in phrases plus a task's; apostrophes match ' and ’, spaces any run of whitespace. */
export function refusalRegex(extra: readonly string[] = []): RegExp {
  const key = extra.join('\u0000');
  let re = cache.get(key);
  if (!re) {
    const alts = [...REFUSAL_PHRASES, ...extra.map((p) => p.toLowerCase().trim())]
      .sort((a, b) => b.length - a.length)
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, "['’]").replace(/\s+/g, '\\s+'));
    re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${alts.join('|')})(?![\\p{L}\\p{N}])`, 'giu');
    cache.set(key, re);
  }
  return re;
}

export function refusalFindings(sample: Sample, extra: readonly string[] = []): LlmFinding[] {
  const re = refusalRegex(extra);
  const out: LlmFinding[] = [];
  for (const t of responses(sample)) {
    re.lastIndex = 0;
    for (const m of t.content.matchAll(re)) {
      out.push(finding('llm/refusal', `"${m[0]}" is boilerplate: a model trained on it learns to refuse or to describe itself instead of answering.`, t.path, { range: { start: m.index, end: m.index + m[0].length }, data: { phrase: m[0].toLowerCase() } }));
    }
  }
  return out;
}
