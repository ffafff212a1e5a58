// All checks of the llm kind over one record, and over a whole file with the dataset-wide ones
// (duplicates, the response-ending statistics). Pure: text and config in, findings out.

import { applySeverities, checkEnabled, DEFAULT_LLM_CONFIG, type LlmConfig } from './config';
import { DuplicateIndex } from './duplicates';
import { finding, type LlmFinding } from './findings';
import { locate, locateKey } from './jsonPath';
import { parseLlmFile, positionAt, type LlmFile, type LlmRecord } from './records';
import { allTurns, detectFormat, toSample, type Sample } from './sample';
import { formatFindings, recordFormatFinding, structureFindings } from './checks/format';
import { piiFindings } from './checks/pii';
import { preferenceFindings } from './checks/preference';
import { refusalFindings } from './checks/refusal';
import { emptyResponseFindings, responseStats, truncatedFindings, type ResponseStats } from './checks/responses';
import { tokenFindings } from './checks/tokens';
import { toolFindings } from './checks/tools';

/** The sample of a parsed record under the config's format (auto-detected per record by default). */
export function sampleOf(value: unknown, config: LlmConfig = DEFAULT_LLM_CONFIG): Sample | undefined {
  return toSample(value, config.format === 'auto' ? detectFormat(value) : config.format);
}

/** The findings of one record that need nothing but the record (and, optionally, the dataset's response statistics). */
export function assessRecord(record: LlmRecord, config: LlmConfig = DEFAULT_LLM_CONFIG, stats?: ResponseStats): LlmFinding[] {
  if (record.value === undefined) return []; // invalid JSON: the record's `error` says it, at its line
  const forced = config.format === 'auto' ? undefined : config.format;
  const sample = sampleOf(record.value, config);
  if (!sample) {
    const f = recordFormatFinding(record.value, forced);
    return f ? applySeverities(config, [f]) : [];
  }
  const out: LlmFinding[] = formatFindings(record.value as Record<string, unknown>, sample);
  const on = (code: Parameters<typeof checkEnabled>[1]): boolean => checkEnabled(config, code);
  out.push(...structureFindings(sample));
  if (on('llm/empty-response')) out.push(...emptyResponseFindings(sample));
  if (on('llm/truncated')) out.push(...truncatedFindings(sample, stats));
  if (on('llm/refusal')) out.push(...refusalFindings(sample, config.refusalPhrases));
  out.push(...piiFindings(sample));
  if (on('llm/tool-arguments-json') || on('llm/tool-call-unanswered')) out.push(...toolFindings(sample));
  out.push(...preferenceFindings(sample, config.pairSimilarityThreshold));
  if (on('llm/token-budget')) out.push(...tokenFindings(sample, config.tokenBudget, config.encoding));
  return applySeverities(config, out);
}

/** The text the duplicate checks compare: every turn with its role. */
export function duplicateText(sample: Sample): string {
  return allTurns(sample).map((t) => `${t.role}: ${t.content}`).join('\n');
}

/** The duplicate finding of record `index`, from the index, pointing to the earlier sample it repeats. */
export function duplicateFindings(index: DuplicateIndex, key: number, config: LlmConfig = DEFAULT_LLM_CONFIG): LlmFinding[] {
  const p = index.earlierPartner(key);
  if (!p) return [];
  const f = p.exact
    ? finding('llm/duplicate', `This sample repeats sample ${p.key + 1}: a duplicate weighs twice in training and leaks between splits.`, [], { data: { partner: p.key, similarity: 1 }, related: { index: p.key, path: [], message: 'the first copy' } })
    : finding('llm/near-duplicate', `This sample is nearly the same as sample ${p.key + 1} (estimated Jaccard ${p.similarity.toFixed(2)} over 5-word shingles, threshold ${index.options.threshold}).`, [], { data: { partner: p.key, similarity: p.similarity }, related: { index: p.key, path: [], message: 'the similar sample' } });
  return applySeverities(config, [f]);
}

export interface LlmAssessment {
  file: LlmFile;
  samples: Array<Sample | undefined>;
  /** Findings per record, in record order. */
  findings: LlmFinding[][];
  stats: ResponseStats;
  duplicates: DuplicateIndex;
  config: LlmConfig;
}

/** Every check over a file's text. */
export function assessFile(text: string, config: LlmConfig = DEFAULT_LLM_CONFIG, fileName = 'dataset'): LlmAssessment {
  const file = parseLlmFile(text, fileName);
  const samples = file.records.map((r) => (r.value === undefined ? undefined : sampleOf(r.value, config)));
  const stats = responseStats(samples);
  const duplicates = new DuplicateIndex({ threshold: config.nearDuplicateThreshold });
  const dupOn = checkEnabled(config, 'llm/duplicate') || checkEnabled(config, 'llm/near-duplicate');
  if (dupOn) samples.forEach((s, i) => s && duplicates.set(i, duplicateText(s)));
  const findings = file.records.map((r, i) => {
    const own = assessRecord(r, config, stats);
    return dupOn && samples[i] ? own.concat(duplicateFindings(duplicates, i, config)) : own;
  });
  return { file, samples, findings, stats, duplicates, config };
}

/**
 * After an edit of record `index` (its new text already parsed into `record`, same position): its
 * sample, its findings and its duplicate entry are redone, and the findings of the other records
 * whose duplicate partner may have changed; the rest of the dataset is not touched. Returns the
 * indexes of the records whose findings were redone.
 */
export function updateRecord(a: LlmAssessment, index: number, record: LlmRecord): number[] {
  a.file.records[index] = record;
  const sample = record.value === undefined ? undefined : sampleOf(record.value, a.config);
  a.samples[index] = sample;
  const affected = sample ? a.duplicates.set(index, duplicateText(sample)) : a.duplicates.delete(index);
  const redo = [index, ...affected];
  for (const i of redo) {
    const r = a.file.records[i];
    const own = assessRecord(r, a.config, a.stats);
    a.findings[i] = a.samples[i] ? own.concat(duplicateFindings(a.duplicates, i, a.config)) : own;
  }
  return redo;
}

export interface FileRange {
  /** Offsets in the file text. */
  start: number;
  end: number;
  /** 0-based LSP positions. */
  startLine: number;
  startCharacter: number;
  endLine: number;
  endCharacter: number;
}

/**
 * The exact range of a finding in the file text: the characters of its range inside the string at
 * its path (escapes accounted for), else the value at its path, else the key (an unknown key), else
 * the whole record.
 */
export function findingRange(file: LlmFile, record: LlmRecord, f: Pick<LlmFinding, 'path' | 'range' | 'data'>): FileRange {
  const inRecord = (f.data?.key ? locateKey(record, f.path) : undefined) ?? locate(record, f.path, f.range) ?? { start: 0, end: record.text.length };
  const start = record.start + inRecord.start;
  const end = record.start + inRecord.end;
  const s = positionAt(file.lineStarts, start);
  const e = positionAt(file.lineStarts, end);
  return { start, end, startLine: s.line, startCharacter: s.character, endLine: e.line, endCharacter: e.character };
}

/** What a hover shows about a sample (the token count is computed here, on demand). */
export { sampleTokens } from './checks/tokens';
