// What an external predictor is asked (a task and a batch of its samples) and what a batch comes to.
import type { LabelDef, Prediction } from '../types';

/** What an external predictor needs of a task. */
export interface ExternalTask {
  name: string;
  labels: readonly LabelDef[];
  /** A sample takes a set of labels (then the predictors answer with sets). */
  multiLabel?: boolean;
}

export interface ExternalSample {
  id: string;
  text: string;
}

/** The outcome of one batch. Never thrown: always resolved. */
export interface ExternalResult {
  predictions: Map<string, Prediction>;
  /** Samples answered with something unusable, and why. Retrying would get the same answer. */
  rejected: Map<string, string>;
  /**
   * The request failed (network, timeout, HTTP status, a body that is not the contract): the samples
   * that are neither predicted nor rejected got no answer and may be retried later.
   */
  error?: string;
}

/** Reasons listed in one log line before "and N more". */
export const MAX_REASONS_LOGGED = 3;
