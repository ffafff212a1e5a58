// POSTing JSON to an endpoint with Node's built-in `fetch`: a timeout on every request (reading the
// answer included), a size limit on the answer, no redirects, and every failure as a reason in words.
// Nothing here throws out to a caller.
import { isObject, snippet } from './untrusted';

/** Larger responses are refused rather than held in memory. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export type JsonOutcome = { ok: true; value: unknown } | { ok: false; error: string };

export interface PostOptions {
  timeoutMs: number;
  /** Sent as `Authorization: Bearer <apiKey>`; never logged. */
  apiKey?: string | undefined;
  /** Aborted when the predictor is disposed: the request in flight stops. */
  lifetime: AbortSignal;
}

/** A POST of JSON that answers JSON, bound to an endpoint's options. */
export type PostJson = (url: URL, body: unknown) => Promise<JsonOutcome>;

/** Why a fetch failed, in words (the cause of undici's "fetch failed" is the useful part). */
function networkError(error: unknown, url: URL, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `no answer from ${url.origin} within ${timeoutMs} ms`;
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'AbortError') return `request to ${url.origin} was cancelled`;
  const cause = err?.cause?.code ?? err?.cause?.message;
  if (cause === 'ECONNREFUSED') return `cannot connect to ${url.origin} (connection refused): is the server running?`;
  if (cause === 'ENOTFOUND') return `cannot resolve host ${url.hostname}`;
  const message = err?.message ?? String(error);
  if (/redirect/i.test(message) || /redirect/i.test(String(cause))) return `${url.origin} answered with a redirect; configure the final URL`;
  return `request to ${url.origin} failed: ${message}${cause ? ` (${cause})` : ''}`;
}

/** Reads a response body up to a limit; rejects with a reason when larger. */
async function readBody(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length'));
  if (Number.isFinite(length) && length > MAX_RESPONSE_BYTES) throw new Error(`response too large (${length} bytes)`);
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** POSTs JSON and parses a JSON answer, with a timeout. Never throws. */
export async function postJson(url: URL, body: unknown, options: PostOptions): Promise<JsonOutcome> {
  const { timeoutMs, apiKey, lifetime } = options;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onDispose = (): void => controller.abort();
  lifetime.addEventListener('abort', onDispose);
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal, redirect: 'error' });
    } catch (error) {
      return { ok: false, error: networkError(error, url, timeoutMs, timedOut) };
    }
    let text: string;
    try {
      text = await readBody(response);
    } catch (error) {
      return { ok: false, error: timedOut || controller.signal.aborted ? networkError(error, url, timeoutMs, timedOut) : `${url.origin}: ${(error as Error).message}` };
    }
    if (!response.ok) {
      let detail = snippet(text);
      try {
        const parsed = JSON.parse(text) as unknown;
        // OpenAI-style {"error": {"message": ...}} or {"error": "..."}
        const e = isObject(parsed) ? parsed.error : undefined;
        const message = isObject(e) ? e.message : e;
        if (typeof message === 'string') detail = snippet(message);
      } catch {
        // not JSON: the excerpt of the text will do
      }
      return { ok: false, error: `${url.origin} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${detail ? `: ${detail}` : ''}` };
    }
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch {
      const type = response.headers.get('content-type') ?? 'no content type';
      return { ok: false, error: `${url.origin} answered with something that is not JSON (${snippet(type, 40)}): '${snippet(text, 60)}'` };
    }
  } finally {
    clearTimeout(timer);
    lifetime.removeEventListener('abort', onDispose);
  }
}
