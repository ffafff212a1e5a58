// The predictor a Project asks: reads the external settings the client sends at initialization and
// combines the external predictor with the embedded model into one `Predictor`.
//
// The rule: for a sample, an external prediction wins over the embedded model's once it has arrived;
// until then (and when the external model is off, failing, or left the sample out) the embedded model
// answers. Between file predictions and this predictor, the task's `prefer` decides as before
// (Project.predictions), and a task with `model.enabled: false` asks neither.
import type { Sample } from '../dataset';
import type { LabelDef, Prediction, Task } from '../types';
import type { Predictor, Project } from '../workspace/project';
import type { ExternalTask } from './batch';
import { ExternalCache } from './cache';
import { ExternalPredictor } from './endpoint';
import { readExternalSettings, type ExternalSettings } from './settings';

/** The initialization options the server reads (from the client, or any LSP editor). */
export interface ExternalInitOptions {
  /** The workspace is trusted. Anything but `true` means untrusted: no request is ever made. */
  trusted?: boolean;
  externalModel?: ExternalSettings;
}

export interface ExternalPredictionsOptions {
  log: (message: string) => void;
  /** New external predictions arrived (throttled): refresh diagnostics. */
  onUpdate?: () => void;
  /** At most one `onUpdate` per this many ms (first at once, the rest at the end of the window). Default 250. */
  updateIntervalMs?: number;
  /** Passed to the cache (tests shorten them). */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export interface CombinedPredictor extends Predictor {
  /** The external cache, when an external model is configured and allowed. */
  readonly external: ExternalCache | undefined;
  dispose(): void;
}

const INFERRED_LABELS_TTL_MS = 5000;

/** What the external answers depend on: the labels, their guidelines, and whether a sample takes a set. */
function labelSignature(labels: readonly LabelDef[], multiLabel: boolean): string {
  return JSON.stringify([multiLabel, labels.map((l) => [l.name, l.description ?? ''])]);
}

/**
 * The predictor a Project should use: external predictions (from `initializationOptions.externalModel`,
 * only when `initializationOptions.trusted === true`) over `fallback` (the embedded model).
 */
export function withExternalPredictions(
  project: Project,
  fallback: Predictor | undefined,
  initializationOptions: unknown,
  options: ExternalPredictionsOptions,
): CombinedPredictor {
  const init = (typeof initializationOptions === 'object' && initializationOptions !== null ? initializationOptions : {}) as Record<string, unknown>;
  const settings = readExternalSettings(init.externalModel, options.log);
  const trusted = init.trusted === true;
  const configured = settings !== undefined && Boolean(settings.url || settings.chatUrl);
  const predictor = configured ? new ExternalPredictor(settings!, { trusted, log: options.log }) : undefined;
  if (predictor && !predictor.enabled) options.log(`Loopmark: ${project.root}: external model off: ${predictor.disabledReason}`);
  if (predictor?.enabled) options.log(`Loopmark: ${project.root}: predictions from ${predictor.describe} (timeout ${predictor.timeoutMs} ms, batches of ${predictor.batchSize})`);

  // The latest Task object seen per task name; a new label set forgets the answers for the old one.
  const tasks = new Map<string, { task: Task; signature: string }>();

  // An inferred task learns its labels from the data (a scan of a dataset): recomputed at most every few seconds.
  const inferredLabels = new Map<string, { at: number; task: ExternalTask }>();
  const taskOf = (name: string): ExternalTask | undefined => {
    const seen = tasks.get(name);
    if (!seen) return undefined;
    if (seen.task.labels.length > 0 || !seen.task.inferred) return seen.task;
    const memo = inferredLabels.get(name);
    if (memo && Date.now() - memo.at < INFERRED_LABELS_TTL_MS) return memo.task;
    for (const entry of project.entries()) {
      if (entry.task.name !== name) continue;
      const task = { name, labels: project.effectiveTask(entry).labels, multiLabel: seen.task.multiLabel };
      inferredLabels.set(name, { at: Date.now(), task });
      return task;
    }
    return seen.task;
  };

  const interval = options.updateIntervalMs ?? 250;
  let updateTimer: NodeJS.Timeout | undefined;
  let updatePending = false;
  const update = (): void => {
    if (!options.onUpdate) return;
    if (updateTimer) {
      updatePending = true;
      return;
    }
    options.onUpdate();
    updateTimer = setTimeout(function flush() {
      updateTimer = undefined;
      if (updatePending) {
        updatePending = false;
        update();
      }
    }, interval);
  };

  const cache = predictor?.enabled
    ? new ExternalCache(predictor, {
      taskOf,
      onUpdate: update,
      log: options.log,
      ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
      ...(options.retryMaxMs === undefined ? {} : { retryMaxMs: options.retryMaxMs }),
    })
    : undefined;

  return {
    external: cache,
    predict(task: Task, sample: Sample): Prediction | undefined {
      if (cache) {
        const seen = tasks.get(task.name);
        if (seen?.task !== task) {
          const signature = labelSignature(task.labels, task.multiLabel);
          if (seen && seen.signature !== signature) cache.clear(task.name);
          tasks.set(task.name, { task, signature });
        }
        const external = cache.get(task.name, sample.id, sample.text);
        if (external) return external;
      }
      return fallback?.predict(task, sample);
    },
    dispose(): void {
      clearTimeout(updateTimer);
      cache?.dispose();
      predictor?.dispose();
    },
  };
}
