// Responses that teach the wrong thing: empty ones, and ones that look cut off (a generation that hit
// its length limit, a copy that lost its tail).

import { finding, type LlmFinding } from '../findings';
import { type Sample, type Turn, responses } from '../sample';

/** What the dataset says about how its responses end; lets the mid-sentence check stay quiet where responses never end in punctuation. */
export interface ResponseStats {
  /** Share of non-empty responses whose last character is terminal punctuation, a closer or a digit. */
  punctuatedShare: number;
}

const CLEAN_END = /[.!?。！？…)\]}"'`»”’*_>|\d]\s*$/u;

export function responseStats(samples: Iterable<Sample | undefined>): ResponseStats {
  let total = 0;
  let punctuated = 0;
  for (const s of samples) {
    if (!s) continue;
    for (const t of responses(s)) {
      if (!t.content.trim()) continue;
      total++;
      if (CLEAN_END.test(t.content)) punctuated++;
    }
  }
  return { punctuatedShare: total ? punctuated / total : 1 };
}

function responseWithoutCall(t: Turn): boolean {
  return !t.toolCalls?.length;
}

export function emptyResponseFindings(sample: Sample): LlmFinding[] {
  const out: LlmFinding[] = [];
  for (const t of responses(sample)) {
    if (t.content.trim() === '' && responseWithoutCall(t)) {
      const chosen = sample.chosen?.includes(t);
      if (chosen) continue; // llm/chosen-empty says it, as an error of the pair
      out.push(finding('llm/empty-response', t.content ? 'This response is only whitespace: the model would learn to answer with nothing.' : 'This response is empty: the model would learn to answer with nothing.', t.path, { range: { start: 0, end: t.content.length } }));
    }
  }
  return out;
}

const FENCE = /^[ \t]*(```|~~~)/gm;

/** Why a response looks cut off, with the range that shows it, or undefined. */
export function truncation(text: string, stats?: ResponseStats): { why: string; kind: string; start: number } | undefined {
  const trimmed = text.trimEnd();
  if (!trimmed) return undefined;
  const fences = [...trimmed.matchAll(FENCE)];
  if (fences.length % 2 === 1) return { kind: 'code-fence', why: 'a code block is opened and never closed', start: fences[fences.length - 1].index };
  // Brackets: only when nothing closes without an opener, since "1) first 2) second" lists and smileys
  // would otherwise count as unbalanced (they did on the GPTeacher fixture).
  const stack: number[] = [];
  let strayClosers = 0;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) {
      const before = trimmed.charCodeAt(i - 1);
      if (c === 40 && (before === 58 || before === 59)) continue; // :( is a face
      stack.push(i);
    } else if (c === 41 || c === 93 || c === 125) {
      const open = c === 41 ? 40 : c - 2; // ] is [ + 2, } is { + 2
      if (stack.length && trimmed.charCodeAt(stack[stack.length - 1]) === open) stack.pop();
      else strayClosers++;
    }
  }
  // Only an opener whose text runs to the end (no line break after it) is a cut: an unclosed
  // "1(192" in the middle of a GSM8K solution is a typo, not a truncation (2 of 7,473 there).
  if (stack.length && strayClosers === 0 && !trimmed.includes('\n', stack[stack.length - 1]))
    return { kind: 'bracket', why: `"${trimmed[stack[stack.length - 1]]}" is opened and never closed`, start: stack[stack.length - 1] };
  // Straight double quotes: odd both counted all and without those after a digit (5'10" is inches,
  // "6" a quoted digit), and the last one opens text that runs to the end on its line (4 GSM8K
  // solutions end in a stray closing quote: not a cut).
  const quotes = [...trimmed.matchAll(/"/g)];
  const inches = quotes.filter((q) => /\d/.test(trimmed[q.index - 1] ?? '')).length;
  const lastQuote = quotes.length ? quotes[quotes.length - 1].index : -1;
  if (quotes.length % 2 === 1 && (quotes.length - inches) % 2 === 1 && lastQuote < trimmed.length - 1 && !trimmed.includes('\n', lastQuote))
    return { kind: 'quote', why: 'a quotation is opened and never closed', start: lastQuote };
  // Mid-sentence: the response has finished sentences, ends on a letter or a comma, and the dataset's
  // responses mostly end cleanly (GSM8K's end on the answer's digits: 100% by CLEAN_END).
  if (stats && stats.punctuatedShare < 0.8) return undefined;
  const last = trimmed[trimmed.length - 1];
  if (/[\p{L},;]/u.test(last) && /[.!?。！？]\s/u.test(trimmed)) {
    const lastLine = trimmed.slice(trimmed.lastIndexOf('\n') + 1);
    // A list item, a heading, a table cell or a URL often ends without a period.
    if (/^\s*([-*+•]|\d+[.)]|#)|\|\s*$|https?:\/\/\S+$/.test(lastLine)) return undefined;
    const start = Math.max(trimmed.search(/\S+\s*$/), 0);
    return { kind: 'mid-sentence', why: 'it ends mid-sentence, without the punctuation its other sentences end with', start };
  }
  return undefined;
}

export function truncatedFindings(sample: Sample, stats?: ResponseStats): LlmFinding[] {
  const out: LlmFinding[] = [];
  for (const t of responses(sample)) {
    const cut = truncation(t.content, stats);
    if (cut) out.push(finding('llm/truncated', `This response looks cut off: ${cut.why}.`, t.path, { range: { start: cut.start, end: t.content.trimEnd().length }, data: { kind: cut.kind } }));
  }
  return out;
}
