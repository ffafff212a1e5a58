// Preference pairs that teach nothing: chosen and rejected the same (the DPO loss is zero for the
// pair), or so close that the preference is noise; and a chosen side that is empty.

import { finding, type LlmFinding } from '../findings';
import { type Sample, type Turn } from '../sample';

const sideText = (turns: Turn[] | undefined): string => (turns ?? []).filter((t) => t.role === 'assistant' || turns!.length === 1).map((t) => t.content).join('\n');
const normalize = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/** Jaccard similarity of the word bigrams of two texts (words if a text has one word). */
export function bigramJaccard(a: string, b: string): number {
  const grams = (s: string): Set<string> => {
    const w = normalize(s).split(' ').filter(Boolean);
    if (w.length < 2) return new Set(w);
    const g = new Set<string>();
    for (let i = 0; i + 1 < w.length; i++) g.add(`${w[i]} ${w[i + 1]}`);
    return g;
  };
  const ga = grams(a);
  const gb = grams(b);
  if (!ga.size && !gb.size) return 1;
  let inter = 0;
  for (const g of ga) if (gb.has(g)) inter++;
  return inter / (ga.size + gb.size - inter);
}

export function preferenceFindings(sample: Sample, threshold = 0.9): LlmFinding[] {
  if (!sample.chosen || !sample.chosenPath || !sample.rejectedPath) return [];
  const chosen = sideText(sample.chosen);
  const rejected = sideText(sample.rejected);
  const out: LlmFinding[] = [];
  if (!chosen.trim()) {
    out.push(finding('llm/chosen-empty', 'The chosen response is empty: the pair teaches the model to prefer saying nothing.', sample.chosen.length === 1 ? sample.chosen[0].path : sample.chosenPath));
    return out;
  }
  if (chosen === rejected) {
    out.push(finding('llm/pair-identical', 'Chosen and rejected are the same text: the pair carries no preference (its DPO loss is constant).', sample.rejectedPath));
    return out;
  }
  const sim = normalize(chosen) === normalize(rejected) ? 1 : bigramJaccard(chosen, rejected);
  if (sim >= threshold)
    out.push(finding('llm/pair-near-identical', sim === 1 ? 'Chosen and rejected differ only in case, spacing or punctuation: the preference is noise.' : `Chosen and rejected share ${Math.round(sim * 100)}% of their word pairs: check the preference is real.`, sample.rejectedPath, { data: { similarity: sim } }));
  return out;
}
