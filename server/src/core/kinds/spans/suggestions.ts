// Suggested spans of a record: the predictions written in it (Prodigy `spans: [{start, end, label,
// score?}]`, doccano `label: [[start, end, "L"]]`, code points of the text) and the task's pattern
// rules (UTF-16 matches, converted here). The embedded tagger is not wired in yet.
import type { CodePointIndex } from './offsets';
import { matchPatterns, type PatternSet } from './patterns';

export interface Suggestion {
  start: number;
  end: number;
  label: string;
  score: number;
  /** Where it came from: `record` or the rule's description. */
  from: string;
}

function recordSpans(lineText: string, cpLength: number): Suggestion[] {
  // Only lines that can hold span predictions are parsed a second time.
  if (!lineText.includes('"spans"') && !lineText.includes('"label"')) return [];
  let value: unknown;
  try {
    value = JSON.parse(lineText);
  } catch {
    return [];
  }
  if (typeof value !== 'object' || value === null) return [];
  const rec = value as Record<string, unknown>;
  const out: Suggestion[] = [];
  const push = (start: unknown, end: unknown, label: unknown, score: unknown): void => {
    if (!Number.isInteger(start) || !Number.isInteger(end) || typeof label !== 'string' || !label) return;
    const s = start as number;
    const e = end as number;
    if (s < 0 || e <= s || e > cpLength) return;
    out.push({ start: s, end: e, label, score: typeof score === 'number' ? score : 1, from: 'record' });
  };
  if (Array.isArray(rec['spans'])) for (const sp of rec['spans']) if (typeof sp === 'object' && sp !== null) { const o = sp as Record<string, unknown>; push(o['start'], o['end'], o['label'], o['score']); }
  if (Array.isArray(rec['label'])) for (const sp of rec['label']) if (Array.isArray(sp) && sp.length >= 3) push(sp[0], sp[1], sp[2], undefined);
  return out;
}

export function suggestions(text: string, lineText: string, index: CodePointIndex, patterns: PatternSet): Suggestion[] {
  const out = recordSpans(lineText, index.codePointLength);
  if (patterns.rules.length > 0) {
    for (const m of matchPatterns(patterns, text).spans) out.push({ start: index.toCodePoint(m.start), end: index.toCodePoint(m.end, 'up'), label: m.label, score: m.score, from: m.rule });
  }
  return out;
}
