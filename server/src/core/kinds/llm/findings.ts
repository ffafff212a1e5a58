// The checks of the llm kind: each a stable code, a default severity and what it finds. A finding is
// placed by a JSON path in the record and, inside a string, a range of its decoded characters.

import type { JsonPath } from './jsonPath';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** code → [default severity, what it means]. The codes are stable: configs and label files name them. */
export const LLM_CHECKS = {
  // The errors OpenAI's data-preparation checks count (cookbook "Data preparation and analysis for chat model fine-tuning").
  'llm/not-object': ['error', 'the record is not a JSON object'],
  'llm/unknown-format': ['error', 'the record is in none of the known formats'],
  'llm/no-messages': ['error', 'the record has no (or an empty) messages list'],
  'llm/message-missing-key': ['error', 'a message has no role or no content'],
  'llm/unknown-key': ['error', 'a message has a key the format does not know'],
  'llm/unknown-role': ['error', 'a message has a role the format does not know'],
  'llm/no-assistant': ['error', 'the sample has no assistant message to learn from'],
  // Conversation structure.
  'llm/repeated-role': ['warning', 'two turns of the same role in a row'],
  'llm/system-not-first': ['warning', 'a system message that is not the first turn'],
  'llm/no-final-assistant': ['warning', 'the conversation does not end with an assistant turn'],
  // Responses.
  'llm/empty-response': ['error', 'an empty or whitespace-only response'],
  'llm/truncated': ['warning', 'a response that looks cut off'],
  'llm/refusal': ['warning', 'a boilerplate refusal, disclaimer or model self-identification'],
  // Secrets and personal data, in any turn.
  'llm/pii-email': ['warning', 'an e-mail address'],
  'llm/pii-phone': ['warning', 'a phone number'],
  'llm/pii-credit-card': ['error', 'a credit card number (passes the Luhn check)'],
  'llm/pii-iban': ['error', 'an IBAN (passes the mod-97 check)'],
  'llm/pii-ip': ['information', 'an IP address'],
  'llm/secret-api-key': ['error', 'an API key or token of a common provider'],
  'llm/secret-private-key': ['error', 'a private key block'],
  // Across the dataset.
  'llm/duplicate': ['warning', 'the same sample as an earlier one'],
  'llm/near-duplicate': ['information', 'nearly the same sample as an earlier one (MinHash)'],
  // Budget and tools.
  'llm/token-budget': ['warning', 'the sample has more tokens than the budget'],
  'llm/tool-arguments-json': ['error', 'tool-call arguments that are not a JSON object'],
  'llm/tool-call-unanswered': ['warning', 'a tool call without a tool response'],
  // Preference pairs.
  'llm/pair-identical': ['error', 'chosen and rejected are the same'],
  'llm/pair-near-identical': ['warning', 'chosen and rejected are nearly the same'],
  'llm/chosen-empty': ['error', 'the chosen response is empty'],
} as const satisfies Record<string, readonly [Severity, string]>;

export type LlmCheckCode = keyof typeof LLM_CHECKS;

export interface LlmFinding {
  code: LlmCheckCode;
  severity: Severity;
  /** Says what is wrong and why it matters; names no internal structure. */
  message: string;
  /** Path of the value the finding is about, in the record ([] = the whole record). */
  path: JsonPath;
  /** Inside a string value: its decoded characters [start, end). */
  range?: { start: number; end: number };
  /** What a quick fix needs (the PII kind, the partner sample, the token count…): never parsed from the message. */
  data?: Record<string, unknown>;
  /** Another sample the finding is about (the earlier duplicate): its record index and path. */
  related?: { index: number; path: JsonPath; message: string };
}

/** A finding of `code` at its default severity (the config may change or drop it later). */
export function finding(code: LlmCheckCode, message: string, path: JsonPath, extra: Partial<LlmFinding> = {}): LlmFinding {
  return { code, severity: LLM_CHECKS[code][0], message, path, ...extra };
}
