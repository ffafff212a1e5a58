// Checks and excerpts of what an endpoint answered: untrusted JSON and text, quoted in log lines.

/** A short, single-line, printable excerpt of an untrusted response, for a log line. */
export function snippet(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '?').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isScore(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1;
}

/** What a value is, in words, for a message saying what was expected instead. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `'${snippet(value, 40)}'`;
  return typeof value === 'object' ? 'an object' : String(value);
}
