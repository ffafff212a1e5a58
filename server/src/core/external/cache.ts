// The cache the editor reads from: external predictions by (task, sample id, text), filled in the
// background. The editor never waits: `get` is synchronous and answers from memory, fetching the
// missing samples in the background, one batch in flight per task.
import { hash53 } from '../identity';
import type { Prediction } from '../types';
import type { ExternalSample, ExternalTask } from './batch';
import type { ExternalPredictor } from './endpoint';

export interface ExternalCacheOptions {
  /** The task by name, with its current label set; undefined when it no longer exists. */
  taskOf: (taskName: string) => ExternalTask | undefined;
  /** Called when new predictions of a task arrived (e.g. to refresh diagnostics). */
  onUpdate?: (taskName: string, sampleIds: string[]) => void;
  log?: (message: string) => void;
  /** First wait after a failed batch; doubles per failure in a row. Default 1000 ms. */
  retryBaseMs?: number;
  /** Longest wait between retries. Default 60000 ms. */
  retryMaxMs?: number;
  /** Answers kept per task before the oldest are forgotten. Default 200000. */
  maxEntries?: number;
}

/** A finished answer for one (sample id, text): a prediction, or none (rejected or left out by the model). */
interface Answered {
  prediction: Prediction | undefined;
}

interface TaskState {
  answers: Map<string, Answered>;
  /** Waiting to be sent, by key, in the order asked. */
  queue: Map<string, ExternalSample>;
  inFlight: boolean;
  /** Bumped by `clear`: an answer to a batch sent before it is dropped. */
  generation: number;
  failures: number;
  retryAt: number;
  timer: NodeJS.Timeout | undefined;
}

function keyOf(sampleId: string, text: string): string {
  // The text's hash, not the text: the cache would otherwise hold every sample's text twice.
  return `${sampleId}\u0000${text.length}:${hash53(text).toString(36)}`;
}

/**
 * Predictions by (task, sample id, text), filled in the background. `get` never waits and never
 * throws; a missing answer is queued and fetched in batches, one batch in flight per task, with an
 * exponential pause after failures so a dead endpoint is not hammered.
 */
export class ExternalCache {
  private readonly tasks = new Map<string, TaskState>();
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly maxEntries: number;
  private readonly log: (message: string) => void;
  private disposed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly predictor: ExternalPredictor,
    private readonly options: ExternalCacheOptions,
  ) {
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.retryMaxMs = options.retryMaxMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 200_000;
    this.log = options.log ?? (() => undefined);
  }

  /** The finished prediction for this text of the sample, or undefined (then fetched in the background). */
  get(taskName: string, sampleId: string, text: string): Prediction | undefined {
    if (this.disposed || !this.predictor.enabled) return undefined;
    const state = this.state(taskName);
    const key = keyOf(sampleId, text);
    const answered = state.answers.get(key);
    if (answered) return answered.prediction;
    if (!state.queue.has(key)) {
      state.queue.set(key, { id: sampleId, text });
      this.schedule(taskName, state, 0);
    }
    return undefined;
  }

  /** Forgets the answers of a task (all tasks without a name): after its label set changed. */
  clear(taskName?: string): void {
    for (const [name, state] of this.tasks) {
      if (taskName !== undefined && name !== taskName) continue;
      state.answers.clear();
      state.queue.clear();
      state.generation++;
    }
    this.notifyIdle();
  }

  /** Number of samples waiting or in flight. */
  pending(taskName?: string): number {
    let n = 0;
    for (const [name, state] of this.tasks) if (taskName === undefined || name === taskName) n += state.queue.size;
    return n;
  }

  /** Resolves when no batch is in flight or due: the queue is empty or paused after a failure. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  dispose(): void {
    this.disposed = true;
    for (const state of this.tasks.values()) clearTimeout(state.timer);
    this.tasks.clear();
    this.predictor.dispose();
    this.notifyIdle();
  }

  private isIdle(): boolean {
    const now = Date.now();
    for (const state of this.tasks.values()) {
      if (state.inFlight) return false;
      if (state.queue.size > 0 && state.retryAt <= now) return false;
    }
    return true;
  }

  private notifyIdle(): void {
    if (!this.disposed && !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private state(taskName: string): TaskState {
    let state = this.tasks.get(taskName);
    if (!state) {
      state = { answers: new Map(), queue: new Map(), inFlight: false, generation: 0, failures: 0, retryAt: 0, timer: undefined };
      this.tasks.set(taskName, state);
    }
    return state;
  }

  private schedule(taskName: string, state: TaskState, delayMs: number): void {
    if (state.timer || state.inFlight || this.disposed) return;
    const wait = Math.max(delayMs, state.retryAt - Date.now(), 0);
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.pump(taskName, state);
    }, wait);
    // A pause after failures must not keep a process alive on its own.
    if (wait > 0) state.timer.unref();
  }

  private async pump(taskName: string, state: TaskState): Promise<void> {
    if (this.disposed || state.inFlight) return;
    if (this.tasks.get(taskName) !== state) return;
    const task = this.options.taskOf(taskName);
    if (!task) {
      state.queue.clear();
      this.notifyIdle();
      return;
    }
    // One batch, at most one sample per id (an id with two texts waits for the next batch).
    const batch: Array<{ key: string; sample: ExternalSample }> = [];
    const ids = new Set<string>();
    for (const [key, sample] of state.queue) {
      if (batch.length >= this.predictor.batchSize) break;
      if (ids.has(sample.id)) continue;
      ids.add(sample.id);
      batch.push({ key, sample });
    }
    if (batch.length === 0) {
      this.notifyIdle();
      return;
    }
    state.inFlight = true;
    const generation = state.generation;
    const result = await this.predictor.predictBatch(task, batch.map((b) => b.sample));
    state.inFlight = false;
    if (this.disposed || this.tasks.get(taskName) !== state || generation !== state.generation) {
      // Disposed, or cleared meanwhile: the answer may be for an old label set.
      if (!this.disposed && state.queue.size > 0) this.schedule(taskName, state, 0);
      this.notifyIdle();
      return;
    }
    this.predictor.report(task, result);
    const arrived: string[] = [];
    for (const { key, sample } of batch) {
      const prediction = result.predictions.get(sample.id);
      if (prediction) {
        this.remember(state, key, { prediction });
        arrived.push(sample.id);
      } else if (result.rejected.has(sample.id) || !result.error) {
        // Rejected, or left out by a model that answered: asking again would get the same.
        this.remember(state, key, { prediction: undefined });
      } else {
        continue; // no answer because the request failed: stays queued for a retry
      }
      state.queue.delete(key);
    }
    if (result.error) {
      state.failures++;
      const pause = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(state.failures - 1, 30));
      state.retryAt = Date.now() + pause;
      if (state.queue.size > 0) this.log(`Loopmark: ${this.predictor.describe}: retrying ${state.queue.size} sample(s) of task '${taskName}' in ${Math.round(pause / 100) / 10} s`);
    } else {
      state.failures = 0;
      state.retryAt = 0;
    }
    if (arrived.length > 0) {
      try {
        this.options.onUpdate?.(taskName, arrived);
      } catch (error) {
        this.log(`Loopmark: ${this.predictor.describe}: update after new predictions failed: ${(error as Error).message}`);
      }
    }
    if (state.queue.size > 0) this.schedule(taskName, state, 0);
    this.notifyIdle();
  }

  private remember(state: TaskState, key: string, answer: Answered): void {
    if (state.answers.size >= this.maxEntries) {
      const oldest = state.answers.keys().next();
      if (!oldest.done) state.answers.delete(oldest.value);
    }
    state.answers.set(key, answer);
  }
}
