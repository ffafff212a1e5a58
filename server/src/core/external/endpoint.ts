// One configured external predictor: a URL that labels batches of samples (Loopmark's own JSON
// contract, http.ts), or an OpenAI-compatible chat endpoint used zero-shot (chat.ts).
// Pure of LSP and `vscode`; Node's built-in `fetch` only.
//
// Safety rules, enforced here and not left to callers:
// - In an untrusted workspace nothing here touches the network: no request, not even a DNS lookup.
// - Every request has a timeout; nothing throws out to a caller: failures become results with a reason.
// - Sample text is untrusted. In a chat request it only ever is the user message, never the system prompt.
import type { Prediction } from '../types';
import { MAX_REASONS_LOGGED, type ExternalResult, type ExternalSample, type ExternalTask } from './batch';
import { chatBatch } from './chat';
import { httpBatch } from './http';
import { DEFAULT_BATCH_SIZE, DEFAULT_TIMEOUT_MS, positiveInt, resolveEndpoint, type Endpoint, type ExternalSettings } from './settings';
import { postJson, type PostJson } from './transport';
import { snippet } from './untrusted';

export interface ExternalOptions {
  /** False in an untrusted workspace: then no request is ever made. */
  trusted: boolean;
  log: (message: string) => void;
}

export class ExternalPredictor {
  readonly timeoutMs: number;
  readonly batchSize: number;
  /** Why the predictor is off, when it is. */
  readonly disabledReason: string | undefined;
  private readonly mode: Endpoint | undefined;
  private readonly log: (message: string) => void;
  /** Aborts every request in flight on dispose. */
  private readonly lifetime = new AbortController();
  private readonly post: PostJson;

  constructor(settings: ExternalSettings, options: ExternalOptions) {
    this.log = options.log;
    this.timeoutMs = positiveInt(settings.timeoutMs, DEFAULT_TIMEOUT_MS, 10 * 60_000);
    this.batchSize = positiveInt(settings.batchSize, DEFAULT_BATCH_SIZE, 1000);
    const post = { timeoutMs: this.timeoutMs, apiKey: settings.apiKey || undefined, lifetime: this.lifetime.signal };
    this.post = (url, body) => postJson(url, body, post);
    const { endpoint, reason } = resolveEndpoint(settings, options.trusted);
    this.mode = endpoint;
    this.disabledReason = reason;
    if (endpoint && settings.url && settings.chatUrl) this.log(`Loopmark: externalModel.url and externalModel.chatUrl are both set; using url, ignoring chatUrl`);
  }

  get enabled(): boolean {
    return this.mode !== undefined && !this.lifetime.signal.aborted;
  }

  get kind(): 'http' | 'chat' | undefined {
    return this.mode?.kind;
  }

  /** Where a prediction came from, as shown to the user: `http:<host>` or `chat:<model>`. */
  get modelVersion(): string | undefined {
    if (!this.mode) return undefined;
    return this.mode.kind === 'http' ? `http:${this.mode.url.host}` : `chat:${this.mode.model}`;
  }

  /** Human-readable description of the endpoint for log lines (never the API key). */
  get describe(): string {
    if (!this.mode) return 'external model (off)';
    return this.mode.kind === 'http' ? `external model ${this.mode.url.origin}${this.mode.url.pathname}` : `chat model '${this.mode.model}' at ${this.mode.url.origin}`;
  }

  /** Predictions for the samples it could label. Never throws; untrusted or off: an empty map, no request. */
  async predictions(task: ExternalTask, samples: readonly ExternalSample[]): Promise<Map<string, Prediction>> {
    const all = new Map<string, Prediction>();
    for (let i = 0; i < samples.length; i += this.batchSize) {
      const result = await this.predictBatch(task, samples.slice(i, i + this.batchSize));
      this.report(task, result);
      for (const [id, p] of result.predictions) all.set(id, p);
    }
    return all;
  }

  /** One batch (at most `batchSize` samples are sent per HTTP request). Never throws. */
  async predictBatch(task: ExternalTask, samples: readonly ExternalSample[]): Promise<ExternalResult> {
    const result: ExternalResult = { predictions: new Map(), rejected: new Map() };
    if (!this.mode || this.lifetime.signal.aborted || samples.length === 0) return result;
    try {
      if (this.mode.kind === 'http') {
        const ignored = await httpBatch(this.post, this.mode.url, this.modelVersion!, task, samples, result);
        if (ignored > 0) this.log(`Loopmark: ${this.describe}, task '${task.name}': ignored ${ignored} answer(s) without the id of a sample that was asked for`);
      } else {
        await chatBatch(this.post, this.mode.url, this.mode.model, task, samples, result, this.lifetime.signal);
      }
    } catch (error) {
      // Defensive: the code above resolves every failure; a bug must still not reach the editor.
      result.error = `unexpected failure: ${(error as Error)?.message ?? String(error)}`;
    }
    return result;
  }

  /** Logs a batch's error and rejections in one or two lines. */
  report(task: ExternalTask, result: ExternalResult): void {
    if (result.error) this.log(`Loopmark: ${this.describe}, task '${task.name}': ${result.error}`);
    if (result.rejected.size > 0) {
      const reasons = [...result.rejected].slice(0, MAX_REASONS_LOGGED).map(([id, why]) => `sample '${snippet(id, 40)}': ${why}`);
      const more = result.rejected.size > MAX_REASONS_LOGGED ? `; and ${result.rejected.size - MAX_REASONS_LOGGED} more` : '';
      this.log(`Loopmark: ${this.describe}, task '${task.name}': ${result.rejected.size} prediction(s) dropped: ${reasons.join('; ')}${more}`);
    }
  }

  /** Stops for good: aborts the requests in flight; later calls make no request. */
  dispose(): void {
    this.lifetime.abort();
  }
}
