// Sample identity: the record's own id when it has one, otherwise a stable hash of its text, so a
// label stays with its sample when lines move.

/**
 * cyrb53: a fast 53-bit string hash (public domain). 53 bits keep collisions unlikely at a
 * million samples (about 1 in 18,000), where a 32-bit hash would collide at a few tens of thousands.
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Prefix of ids derived from text, so they never collide with a record's own ids by accident. */
export const TEXT_ID_PREFIX = 'text:';

export function textId(text: string): string {
  return TEXT_ID_PREFIX + hash53(text).toString(16).padStart(14, '0');
}

/** The id of a record: its id field when that is a non-empty string or a finite number, else the text hash. */
export function sampleId(idValue: unknown, text: string): { id: string; fromText: boolean } {
  if (typeof idValue === 'string' && idValue.length > 0) return { id: idValue, fromText: false };
  if (typeof idValue === 'number' && Number.isFinite(idValue)) return { id: String(idValue), fromText: false };
  return { id: textId(text), fromText: true };
}
