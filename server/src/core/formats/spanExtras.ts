// Keys a format puts on a span that the model has no place for (Prodigy's token_start/token_end,
// source, input_hash; Label Studio's result ids), kept per span so they come back on the same span.
import type { Span } from './model';

export type SpanExtras = Record<string, Record<string, unknown>>;

export function spanKey(span: Pick<Span, 'start' | 'end' | 'label'>): string {
  return `${span.start}:${span.end}:${span.label}`;
}

/** Records `keys` of `raw` (those present) under the span's key; returns whether any was. */
export function keepSpanExtras(into: SpanExtras, span: Span, raw: Record<string, unknown>, skip: readonly string[]): void {
  const kept: Record<string, unknown> = {};
  let any = false;
  for (const [key, value] of Object.entries(raw)) {
    if (skip.includes(key)) continue;
    kept[key] = value;
    any = true;
  }
  if (any) into[spanKey(span)] = kept;
}
