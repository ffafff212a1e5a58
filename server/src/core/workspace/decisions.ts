// The one path a decision takes, whoever takes it (a quick fix, the label picker, bulk accept,
// `loopmark label`): validate (the kind's rules) → write durably → learn → notify. The language
// server, the CLI and bulk accept all call applyDecisions; none of them writes a label otherwise.
import { ANSWERS, LABEL_SOURCES, type LabelRecord } from '../types';
import { InvalidDecisionError, type Decision } from '../kinds/kind';
import type { DatasetEntry } from './folder';
import type { Project } from './project';

/** What happens once records are durably on disk: the model learns, compaction and refresh are scheduled. */
export interface DecisionEffects {
  learn?(entry: DatasetEntry, records: readonly LabelRecord[]): void;
  written?(entry: DatasetEntry, records: readonly LabelRecord[]): void;
}

/**
 * Checks decisions, writes them in one durable append (all or none) and runs the effects. Throws
 * InvalidDecisionError (nothing written) when a decision breaks its task's rules, and the write's own
 * error when the disk refuses it (nothing acknowledged).
 */
export function applyDecisions(project: Project, file: string, decisions: readonly Decision[], effects: DecisionEffects = {}): LabelRecord[] {
  const { entry, records } = project.recordsFor(file, decisions);
  if (records.length === 0) return records;
  project.writeRecords(entry, records);
  effects.learn?.(entry, records);
  effects.written?.(entry, records);
  return records;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A decision as a client sent it (untrusted JSON), checked for shape: a sample id, one label or a
 * set (a list of strings), an answer, and optionally a source, a score and a target. Throws
 * InvalidDecisionError naming what is wrong; the kind checks the rest (label set, sets).
 */
export function parseDecision(value: unknown): Decision {
  if (!isObject(value)) throw new InvalidDecisionError('a decision must be an object {sampleId, label (or labels), answer}');
  const { sampleId, label, labels, answer, source, score, target } = value;
  if (typeof sampleId !== 'string' || sampleId === '') throw new InvalidDecisionError('"sampleId" must be a non-empty string');
  const one = typeof label === 'string' && labels === undefined;
  const set = label === undefined && Array.isArray(labels) && labels.every((l) => typeof l === 'string');
  if (!one && !set) throw new InvalidDecisionError(`the decision on '${sampleId}' needs "label" (a string) or "labels" (a list of strings), not both`);
  if (!ANSWERS.includes(answer as Decision['answer'])) throw new InvalidDecisionError(`"answer" must be one of ${ANSWERS.join(', ')}`);
  if (source !== undefined && !LABEL_SOURCES.includes(source as NonNullable<Decision['source']>)) throw new InvalidDecisionError(`"source" must be one of ${LABEL_SOURCES.join(', ')}`);
  if (score !== undefined && !(typeof score === 'number' && Number.isFinite(score))) throw new InvalidDecisionError('"score" must be a finite number');
  const decision: Decision = { sampleId, answer: answer as Decision['answer'], ...(one ? { label: label as string } : { labels: labels as string[] }) };
  if (source !== undefined) decision.source = source as Decision['source'] & string;
  if (score !== undefined) decision.score = score as number;
  if (target !== undefined) decision.target = parseTarget(target, sampleId);
  return decision;
}

function parseTarget(value: unknown, sampleId: string): NonNullable<Decision['target']> {
  if (isObject(value)) {
    const { kind, start, end, index } = value;
    if (kind === 'span' && Number.isInteger(start) && Number.isInteger(end) && (start as number) >= 0 && (end as number) >= (start as number)) return { kind, start: start as number, end: end as number };
    if (kind === 'turn' && Number.isInteger(index) && (index as number) >= 0) return { kind, index: index as number };
  }
  throw new InvalidDecisionError(`the target of the decision on '${sampleId}' must be {kind: "span", start, end} or {kind: "turn", index}`);
}
