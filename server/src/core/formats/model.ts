// The interchange model: what every codec reads into and writes from. One document per sample of
// the peer tool; what Loopmark has no editor for is kept verbatim in `extra` so that a round trip
// through Loopmark gives it back.
//
// OFFSETS COUNT UNICODE CODE POINTS (end exclusive), as Python tools write them; convert from and to
// JavaScript's UTF-16 indices with ./offsets at every boundary (`text.slice` needs UTF-16).
import type { Answer } from '../types';

export type { Answer };

/** A labeled range of the document's text, in code points, end exclusive. */
export interface Span {
  start: number;
  end: number;
  label: string;
  /** The covered text, when the format carries it (a check, not the source of truth). */
  text?: string;
}

export interface ScoredSpan extends Span {
  score?: number;
}

/** One annotator's decision on a document: a class (`label`), a set (`labels`) or spans. */
export interface Annotation {
  annotator: string;
  label?: string;
  labels?: string[];
  spans?: Span[];
  answer: Answer;
  /** ISO 8601, when the format records it. */
  time?: string;
}

/** A model's opinion on a document. */
export interface ModelPrediction {
  label?: string;
  labels?: string[];
  spans?: ScoredSpan[];
  /** Probability of `label` (or of the whole prediction), 0 to 1. */
  score?: number;
  modelVersion?: string;
  /** Who or what predicted (Argilla's `agent`). */
  agent?: string;
}

export interface InterchangeDocument {
  id?: string;
  text: string;
  /** The rest of the source record (keys the codec does not interpret), kept for the round trip. */
  fields: Record<string, unknown>;
  labels: Annotation[];
  predictions: ModelPrediction[];
  /**
   * What the format has and Loopmark does not edit (brat A/R/E/N/M/# lines, relations, Label Studio
   * ids and lead times, CoNLL columns...), keyed by codec name, kept verbatim for the round trip.
   */
  extra: Record<string, unknown>;
}

/** A part of the input a codec could not read, with its 1-based line (0 when the file as a whole). */
export interface FormatProblem {
  line: number;
  message: string;
  file?: string;
}

/** Something the target (or source) format cannot express, with how often it occurred. */
export interface Unsupported {
  what: string;
  count: number;
}

export function newDocument(text: string, id?: string): InterchangeDocument {
  const doc: InterchangeDocument = { text, fields: {}, labels: [], predictions: [], extra: {} };
  if (id !== undefined) doc.id = id;
  return doc;
}

/** Counts things a format could not express, so they are reported as one line each. */
export class UnsupportedCounter {
  private readonly counts = new Map<string, number>();

  add(what: string, count = 1): void {
    if (count > 0) this.counts.set(what, (this.counts.get(what) ?? 0) + count);
  }

  list(): Unsupported[] {
    return [...this.counts].map(([what, count]) => ({ what, count }));
  }
}
