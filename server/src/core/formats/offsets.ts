// Offsets between the two ways text is counted. Every offset in the interchange model (and in the
// label files) counts Unicode CODE POINTS, as Python's str does and so as Prodigy, doccano, brat
// tools, spaCy, Argilla's SDK and Label Studio's exports count; JavaScript strings count UTF-16 code
// units, in which a character outside the BMP (an emoji, many CJK extension characters) takes two.
// Combining marks and CR/LF are one code point and one unit each: only astral characters differ.

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Converts offsets of one text both ways. A text without astral characters (the common case) maps
 * each offset to itself at no cost; otherwise the positions of the astral characters are kept
 * sorted and each conversion is a binary search: O(log k) for k astral characters, so converting
 * the spans of a long text is not quadratic (one scan of the text, then a few steps per offset).
 */
export class OffsetMap {
  /** UTF-16 index of each astral character's high surrogate, ascending. */
  private readonly astralUnits: number[] = [];
  readonly codePointLength: number;

  constructor(readonly text: string) {
    if (SURROGATE.test(text)) {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
          const d = text.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) {
            this.astralUnits.push(i);
            i++;
          }
        }
      }
    }
    this.codePointLength = text.length - this.astralUnits.length;
  }

  /** True when the two counts agree everywhere in this text. */
  get identity(): boolean {
    return this.astralUnits.length === 0;
  }

  /** The UTF-16 index of code point `cp` (clamped to the text). */
  toUtf16(cp: number): number {
    if (cp <= 0) return 0;
    if (cp >= this.codePointLength) return this.text.length;
    const units = this.astralUnits;
    // Astral character j sits at code point units[j] - j; count those before cp.
    let lo = 0;
    let hi = units.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (units[mid]! - mid < cp) lo = mid + 1;
      else hi = mid;
    }
    return cp + lo;
  }

  /**
   * The code point index of UTF-16 index `unit` (clamped). An index between the two halves of a
   * surrogate pair (which no correct tool writes) counts as the character's start.
   */
  toCodePoint(unit: number): number {
    if (unit <= 0) return 0;
    if (unit >= this.text.length) return this.codePointLength;
    const units = this.astralUnits;
    let lo = 0;
    let hi = units.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (units[mid]! < unit) lo = mid + 1;
      else hi = mid;
    }
    // lo astral characters start before `unit`; the low half of a pair maps to its character's start.
    return unit - lo;
  }

  /** The text between two code point offsets. */
  slice(start: number, end: number): string {
    return this.text.slice(this.toUtf16(start), this.toUtf16(end));
  }
}

let last: OffsetMap | undefined;
function mapOf(text: string): OffsetMap {
  if (last?.text !== text) last = new OffsetMap(text);
  return last;
}

/** The UTF-16 index of a code point offset in `text` (the last text's map is reused). */
export function codePointToUtf16(text: string, cp: number): number {
  return mapOf(text).toUtf16(cp);
}

/** The code point offset of a UTF-16 index in `text` (the last text's map is reused). */
export function utf16ToCodePoint(text: string, unit: number): number {
  return mapOf(text).toCodePoint(unit);
}

/** The length of `text` in code points. */
export function codePointLength(text: string): number {
  return mapOf(text).codePointLength;
}
