// The settings of an external predictor (`externalModel` in the client's initialization options) and
// what they resolve to: a Loopmark HTTP predictor, an OpenAI-compatible chat endpoint, or off (and why).

export interface ExternalSettings {
  /** URL of a Loopmark HTTP predictor (see the contract in http.ts). */
  url?: string;
  /** Full URL of an OpenAI-compatible chat completions endpoint, e.g. http://127.0.0.1:11434/v1/chat/completions. */
  chatUrl?: string;
  /** Model name sent to the chat endpoint (required with chatUrl). */
  chatModel?: string;
  /** Sent as `Authorization: Bearer <apiKey>`; never logged. */
  apiKey?: string;
  /** Per request, including reading the response. Default 10000. */
  timeoutMs?: number;
  /** Samples per HTTP request (and per background batch for chat). Default 32. */
  batchSize?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_BATCH_SIZE = 32;

/** The endpoint the settings name. */
export type Endpoint = { kind: 'http'; url: URL } | { kind: 'chat'; url: URL; model: string };

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

function parseUrl(value: string, setting: string): URL | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${setting} '${value}' is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${setting} must be an http: or https: URL, not ${url.protocol}`;
  return url;
}

export function positiveInt(value: number | undefined, fallback: number, max: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.min(Math.floor(value), max) : fallback;
}

/** The endpoint of the settings, or why there is none. In an untrusted workspace there is none. */
export function resolveEndpoint(settings: ExternalSettings, trusted: boolean): { endpoint?: Endpoint; reason?: string } {
  if (!settings.url && !settings.chatUrl) return { reason: 'no externalModel.url or externalModel.chatUrl is set' };
  if (!trusted) return { reason: 'the workspace is not trusted: external models are off in Restricted Mode' };
  if (settings.url) {
    const url = parseUrl(settings.url, 'externalModel.url');
    return typeof url === 'string' ? { reason: url } : { endpoint: { kind: 'http', url } };
  }
  const url = parseUrl(settings.chatUrl!, 'externalModel.chatUrl');
  if (typeof url === 'string') return { reason: url };
  if (!settings.chatModel) return { reason: 'externalModel.chatModel is required with externalModel.chatUrl (the model name the server knows, e.g. llama3.2)' };
  return { endpoint: { kind: 'chat', url, model: settings.chatModel } };
}
