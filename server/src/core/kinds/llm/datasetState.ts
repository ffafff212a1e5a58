// The dataset-wide state of the llm checks, kept per open dataset (the workspace's dataset object,
// which an edit changes in place) and per task config: the DuplicateIndex and the response-ending
// statistics. Built once over every line; after that a line whose text changed is set again on its
// own (DuplicateIndex.set: one signature and 16 band entries), so an edit never re-runs the whole
// dataset's deduplication.
import type { DatasetLines } from '../kind';
import { duplicateText, sampleOf } from './assess';
import { checkEnabled, type LlmConfig } from './config';
import { DuplicateIndex } from './duplicates';
import { responseStats, type ResponseStats } from './checks/responses';
import type { Sample } from './sample';

export interface DatasetState {
  stats: ResponseStats;
  /** The index with `line`'s duplicate text up to date (`text` is what the line holds now). */
  index(line: number, text: string): DuplicateIndex;
}

const states = new WeakMap<DatasetLines, WeakMap<LlmConfig, DatasetState>>();

function sampleOfLine(text: string, config: LlmConfig): Sample | undefined {
  if (!text.trim()) return undefined;
  try {
    return sampleOf(JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text), config);
  } catch {
    return undefined;
  }
}

function build(dataset: DatasetLines, config: LlmConfig): DatasetState {
  const on = checkEnabled(config, 'llm/duplicate') || checkEnabled(config, 'llm/near-duplicate');
  const duplicates = new DuplicateIndex({ threshold: config.nearDuplicateThreshold });
  const texts: Array<string | undefined> = [];
  const samples: Array<Sample | undefined> = [];
  for (let line = 0; line < dataset.lineCount; line++) {
    const sample = sampleOfLine(dataset.lineText(line), config);
    samples.push(sample);
    const text = sample ? duplicateText(sample) : undefined;
    texts.push(text);
    if (on && text !== undefined) duplicates.set(line, text);
  }
  let count = dataset.lineCount;
  return {
    stats: responseStats(samples),
    index(line, text) {
      if (!on) return duplicates;
      // Lines removed at the end are no partners any more.
      for (; count > dataset.lineCount; count--) if (texts[count - 1] !== undefined) { duplicates.delete(count - 1); texts[count - 1] = undefined; }
      count = dataset.lineCount;
      if (texts[line] !== text) {
        duplicates.set(line, text);
        texts[line] = text;
      }
      return duplicates;
    },
  };
}

/** The state of a dataset under a task's config, built on first use. */
export function datasetState(dataset: DatasetLines, config: LlmConfig): DatasetState {
  let byConfig = states.get(dataset);
  if (!byConfig) states.set(dataset, (byConfig = new WeakMap()));
  let state = byConfig.get(config);
  if (!state) byConfig.set(config, (state = build(dataset, config)));
  return state;
}
