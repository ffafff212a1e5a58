// Glue between the server and the external predictors (core/external.ts): reads the settings the
// client sends at initialization, and combines the external predictor with the embedded model into
// the one `Predictor` a Project asks.
//
// The rule: for a sample, an external prediction wins over the embedded model's once it has arrived;
// until then (and when the external model is off, failing, or left the sample out) the embedded model
// answers. Between file predictions and this predictor, the task's `prefer` decides as before
// (Project.predictions), and a task with `model.enabled: false` asks neither.
import { ExternalCache, ExternalPredictor, type ExternalSettings, type ExternalTask } from './core/external';
import type { Sample } from './core/dataset';
import type { Predictor, Project } from './core/workspace/project';
import type { LabelDef, Prediction, Task } from './core/types';

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
const STRING_KEYS = ['url', 'chatUrl', 'chatModel', 'apiKey'] as const;
const NUMBER_KEYS = ['timeoutMs', 'batchSize'] as const;

/** The external settings from untyped JSON; wrong types are dropped with a reason. */
export function readExternalSettings(value: unknown, log: (message: string) => void = () => undefined): ExternalSettings | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    log('Loopmark: externalModel must be an object; ignored');
    return undefined;
  }
  const raw = value as Record<string, unknown>;
  const settings: ExternalSettings = {};
  for (const key of STRING_KEYS) {
    const v = raw[key];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'string') settings[key] = v.trim();
    else log(`Loopmark: externalModel.${key} must be a string; ignored`);
  }
  for (const key of NUMBER_KEYS) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) settings[key] = v;
    else log(`Loopmark: externalModel.${key} must be a positive number; the default is used`);
  }
  return settings;
}

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
