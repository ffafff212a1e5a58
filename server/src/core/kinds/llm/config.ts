// The per-task settings of the llm kind. The JSON shape, for the loopmark.json schema (the key of a
// task, e.g. `"llm": {...}`, is for the lead to choose):
//
//   {
//     "format": "auto" | "openai-chat" | "sharegpt" | "prompt-completion" | "alpaca" | "trl-preference" | "openai-dpo",
//     "checks": { "<code>": "off" | "error" | "warning" | "information" | "hint" },   // e.g. {"llm/pii-ip": "off"}
//     "refusalPhrases": ["string", ...],        // added to the built-in list (case-insensitive, whole phrases)
//     "tokenBudget": 4096,                      // tokens per sample (prompt + responses); 0 = no budget
//     "encoding": "o200k_base" | "cl100k_base", // the tokenizer (bundled in gpt-tokenizer)
//     "nearDuplicateThreshold": 0.8,            // estimated Jaccard similarity of 5-word shingles, 0.5..1
//     "pairSimilarityThreshold": 0.9            // chosen vs rejected word-bigram Jaccard, above it = nearly the same
//   }
//
// Every key is optional; resolveLlmConfig fills the defaults and reports what it could not use.

import { LLM_CHECKS, type LlmCheckCode, type LlmFinding, type Severity } from './findings';
import { LLM_FORMATS, type LlmFormat } from './sample';

export type Encoding = 'o200k_base' | 'cl100k_base';

export interface LlmConfig {
  format: LlmFormat | 'auto';
  checks: Partial<Record<LlmCheckCode, Severity | 'off'>>;
  refusalPhrases: string[];
  tokenBudget: number;
  encoding: Encoding;
  nearDuplicateThreshold: number;
  pairSimilarityThreshold: number;
}

export const DEFAULT_LLM_CONFIG: LlmConfig = {
  format: 'auto',
  checks: {},
  refusalPhrases: [],
  // 4,096 tokens: the context of the smallest models still fine-tuned on chat data; OpenAI's limit per example is higher.
  tokenBudget: 4096,
  encoding: 'o200k_base',
  nearDuplicateThreshold: 0.8,
  pairSimilarityThreshold: 0.9,
};

const SEVERITIES = new Set(['error', 'warning', 'information', 'hint', 'off']);

/** The config of a task from its raw JSON value; `problems` says, in words, what was ignored and why. */
export function resolveLlmConfig(raw: unknown): { config: LlmConfig; problems: string[] } {
  const config: LlmConfig = { ...DEFAULT_LLM_CONFIG, checks: {}, refusalPhrases: [] };
  const problems: string[] = [];
  if (raw === undefined || raw === null) return { config, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { config, problems: ['the llm settings must be an object'] };
  const r = raw as Record<string, unknown>;
  if (r.format !== undefined) {
    if (r.format === 'auto' || LLM_FORMATS.includes(r.format as LlmFormat)) config.format = r.format as LlmConfig['format'];
    else problems.push(`format ${JSON.stringify(r.format)} is not one of auto, ${LLM_FORMATS.join(', ')}`);
  }
  if (r.checks !== undefined) {
    if (typeof r.checks !== 'object' || r.checks === null) problems.push('checks must be an object of code → severity or "off"');
    else
      for (const [code, sev] of Object.entries(r.checks)) {
        if (!(code in LLM_CHECKS)) problems.push(`checks: ${code} is not a check of the llm kind`);
        else if (typeof sev !== 'string' || !SEVERITIES.has(sev)) problems.push(`checks: ${code} must be error, warning, information, hint or off`);
        else config.checks[code as LlmCheckCode] = sev as Severity | 'off';
      }
  }
  if (r.refusalPhrases !== undefined) {
    if (Array.isArray(r.refusalPhrases) && r.refusalPhrases.every((p) => typeof p === 'string' && p.trim())) config.refusalPhrases = r.refusalPhrases as string[];
    else problems.push('refusalPhrases must be a list of non-empty strings');
  }
  const num = (key: 'tokenBudget' | 'nearDuplicateThreshold' | 'pairSimilarityThreshold', lo: number, hi: number): void => {
    const v = r[key];
    if (v === undefined) return;
    if (typeof v === 'number' && v >= lo && v <= hi) config[key] = v;
    else problems.push(`${key} must be a number from ${lo} to ${hi}`);
  };
  num('tokenBudget', 0, 10_000_000);
  num('nearDuplicateThreshold', 0.5, 1);
  num('pairSimilarityThreshold', 0.5, 1);
  if (r.encoding !== undefined) {
    if (r.encoding === 'o200k_base' || r.encoding === 'cl100k_base') config.encoding = r.encoding;
    else problems.push('encoding must be o200k_base or cl100k_base');
  }
  return { config, problems };
}

/** Whether a check runs under the config. */
export function checkEnabled(config: LlmConfig, code: LlmCheckCode): boolean {
  return config.checks[code] !== 'off';
}

/** The findings with the config's severities, those switched off left out. */
export function applySeverities(config: LlmConfig, findings: LlmFinding[]): LlmFinding[] {
  const out: LlmFinding[] = [];
  for (const f of findings) {
    const sev = config.checks[f.code];
    if (sev === 'off') continue;
    out.push(sev ? { ...f, severity: sev } : f);
  }
  return out;
}
