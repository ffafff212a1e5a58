// Keeping a span on its text while the document changes under it.
//
// A stored span remembers its text, some context on each side and its line. After a change
// (an edit above it, an edit in its line, a git pull that rewrote the file) `reanchor` finds it
// again: the old place if its text and context are still there, else the place the previous span
// moved to (one insertion above shifts every later span by the same amount: checking that place
// first makes 10,000 spans re-anchor in a few ms instead of 10,000 searches of the document), else
// every occurrence of its text, scored by how much of its context surrounds it. A span is moved
// only onto its own text with a unique best context; otherwise it is reported `lost` or
// `ambiguous` with the candidates, for the user to re-attach or drop. It is never moved silently
// onto other text.
//
// Offsets here are UTF-16 units of the current document (what the editor works in); the label
// file stores code points (offsets.ts converts at the boundary).

import { CodePointIndex, LineIndex } from './offsets';

/** Characters of context kept on each side: 32 tells apart two `return x;` lines in the same file in practice, and costs ~70 bytes per span. */
export const CONTEXT_CHARS = 32;

export interface Anchor {
  start: number;
  end: number;
  /** The span's text when it was labeled. */
  text: string;
  /** Up to CONTEXT_CHARS characters before and after the span. */
  before: string;
  after: string;
  /** 0-based line of `start`. */
  line: number;
}

export interface Candidate {
  start: number;
  end: number;
  line: number;
  /** Share of the stored context found around this place, 0..1. */
  score: number;
}

export type Reanchored =
  | { status: 'kept'; anchor: Anchor }
  | { status: 'moved'; anchor: Anchor; score: number }
  | { status: 'lost'; candidates: Candidate[] }
  | { status: 'ambiguous'; candidates: Candidate[] };

export interface ReanchorOptions {
  /** Context score a new place needs (0..1). 0.5: half the context on each side on average survived. */
  minScore?: number;
  /** How far the best must lead the second best. */
  minLead?: number;
  /** Candidates returned with lost/ambiguous results. */
  maxCandidates?: number;
}

/** An anchor for the span [start, end) of `doc`. */
export function makeAnchor(doc: string, start: number, end: number, lines?: LineIndex): Anchor {
  return {
    start,
    end,
    text: doc.slice(start, end),
    before: doc.slice(Math.max(0, start - CONTEXT_CHARS), start),
    after: doc.slice(end, end + CONTEXT_CHARS),
    line: (lines ?? new LineIndex(doc)).lineAt(start),
  };
}

/**
 * An anchor as the label file stores it: start and end in code points (of the record's text for a
 * JSONL record, of the whole file otherwise); text, context and line as they are.
 */
export type StoredAnchor = Anchor;

/** The anchor in the label file's unit (code points). `index` is the CodePointIndex of the same text. */
export function toStored(anchor: Anchor, index: CodePointIndex): StoredAnchor {
  return { ...anchor, start: index.toCodePoint(anchor.start, 'down'), end: index.toCodePoint(anchor.end, 'up') };
}

/** A stored anchor in the editor's unit (UTF-16) on the text `index` was built from. */
export function fromStored(stored: StoredAnchor, index: CodePointIndex): Anchor {
  return { ...stored, start: index.toUtf16(stored.start), end: index.toUtf16(stored.end) };
}

/** Length of the common suffix of `a` and of doc[..end). */
function commonSuffix(a: string, doc: string, end: number): number {
  let n = 0;
  while (n < a.length && end - n - 1 >= 0 && a.charCodeAt(a.length - 1 - n) === doc.charCodeAt(end - n - 1)) n++;
  return n;
}

/** Length of the common prefix of `a` and of doc[start..). */
function commonPrefix(a: string, doc: string, start: number): number {
  let n = 0;
  while (n < a.length && start + n < doc.length && a.charCodeAt(n) === doc.charCodeAt(start + n)) n++;
  return n;
}

/**
 * Share of the anchor's context found around doc[start, start + text.length). A context cut short
 * by the start or end of the document counts as found where the document ends there too.
 */
export function contextScore(anchor: Anchor, doc: string, start: number): number {
  const end = start + anchor.text.length;
  const total = anchor.before.length + anchor.after.length;
  if (total === 0) return start === 0 && end === doc.length ? 1 : 0.5;
  return (commonSuffix(anchor.before, doc, start) + commonPrefix(anchor.after, doc, end)) / total;
}

function textAt(doc: string, start: number, text: string): boolean {
  return start >= 0 && doc.startsWith(text, start);
}

/** Full context on both sides: the place is the anchor's own, whatever else the document holds. */
function isIntact(anchor: Anchor, doc: string, start: number): boolean {
  return textAt(doc, start, anchor.text) && contextScore(anchor, doc, start) === 1;
}

/** Every occurrence of `text` in `doc`, capped (a one-letter span in a big file has thousands). */
function occurrences(doc: string, text: string, cap: number): number[] {
  const out: number[] = [];
  if (!text) return out;
  for (let i = doc.indexOf(text); i >= 0 && out.length < cap; i = doc.indexOf(text, i + 1)) out.push(i);
  return out;
}

const OCCURRENCE_CAP = 10_000;

/**
 * Finds `anchor` in the changed document. `hint` is a place to try first (the shift of the span
 * before it), which `reanchorAll` supplies.
 */
export function reanchor(anchor: Anchor, doc: string, lines: LineIndex, options: ReanchorOptions = {}, hint?: number): Reanchored {
  const minScore = options.minScore ?? 0.5;
  const minLead = options.minLead ?? 0.15;
  const maxCandidates = options.maxCandidates ?? 5;
  // The hint first: after an edit above, every later span is at its hint, not at its old place
  // (unless the old place is intact too: a repeated block; then the span stays).
  if (hint !== undefined && hint !== anchor.start && isIntact(anchor, doc, hint) && !isIntact(anchor, doc, anchor.start)) {
    return { status: 'moved', anchor: relocate(anchor, doc, hint, lines, true), score: 1 };
  }
  if (isIntact(anchor, doc, anchor.start)) return { status: 'kept', anchor: relocate(anchor, doc, anchor.start, lines, true) };
  const found = occurrences(doc, anchor.text, OCCURRENCE_CAP);
  const candidates: Candidate[] = found.map((start) => ({ start, end: start + anchor.text.length, line: lines.lineAt(start), score: contextScore(anchor, doc, start) }));
  // Best context first; among equals the nearer to the old line, so the list reads sensibly.
  candidates.sort((a, b) => b.score - a.score || Math.abs(a.line - anchor.line) - Math.abs(b.line - anchor.line) || a.start - b.start);
  const best = candidates[0];
  if (!best) return { status: 'lost', candidates: contextCandidates(anchor, doc, lines) };
  const second = candidates[1];
  const leads = !second || best.score - second.score >= minLead;
  if (best.score >= minScore && leads) {
    const moved = relocate(anchor, doc, best.start, lines);
    // Same place, context edited (say a comment appended after the span): the span did not move.
    return best.start === anchor.start ? { status: 'kept', anchor: moved } : { status: 'moved', anchor: moved, score: best.score };
  }
  return { status: 'ambiguous', candidates: candidates.slice(0, maxCandidates) };
}

/**
 * The span's text is gone (edited inside): where its context still is, the text between the
 * context's two sides is offered as a re-attach candidate (score = share of context found).
 */
function contextCandidates(anchor: Anchor, doc: string, lines: LineIndex): Candidate[] {
  const tail = anchor.before.slice(-16);
  const head = anchor.after.slice(0, 16);
  if (tail.length < 4 || head.length < 4) return [];
  const out: Candidate[] = [];
  for (const at of occurrences(doc, tail, 50)) {
    const start = at + tail.length;
    // The edited text may grow or shrink; 4x its old length (at least 200 chars) bounds the search.
    const limit = start + Math.max(200, anchor.text.length * 4);
    const end = doc.indexOf(head, start);
    if (end < 0 || end > limit || end === start) continue;
    const probe = { ...anchor, text: doc.slice(start, end) };
    out.push({ start, end, line: lines.lineAt(start), score: contextScore(probe, doc, start) });
  }
  out.sort((a, b) => b.score - a.score || a.start - b.start);
  return out.slice(0, 5);
}

/** The anchor at its new place, with context and line refreshed from the current document (the same object when nothing changed). */
function relocate(anchor: Anchor, doc: string, start: number, lines: LineIndex, intact = false): Anchor {
  const end = start + anchor.text.length;
  const line = lines.lineAt(start);
  // Context unchanged (the usual case after an edit elsewhere): keep its strings, no slicing.
  // `intact`: the caller has just seen the whole stored context around `start`.
  const sameContext =
    anchor.before.length === Math.min(CONTEXT_CHARS, start) &&
    anchor.after.length === Math.min(CONTEXT_CHARS, doc.length - end) &&
    (intact || (doc.startsWith(anchor.before, start - anchor.before.length) && doc.startsWith(anchor.after, end)));
  if (sameContext) return start === anchor.start && line === anchor.line ? anchor : { ...anchor, start, end, line };
  return { ...anchor, start, end, before: doc.slice(Math.max(0, start - CONTEXT_CHARS), start), after: doc.slice(end, end + CONTEXT_CHARS), line };
}

/**
 * Re-anchors many spans of one document. Spans are visited in order of their old start, and each
 * first tries the shift of the one before it, so an insertion above N spans costs N checks.
 * Results are returned in the order of `anchors`.
 */
export function reanchorAll(anchors: readonly Anchor[], doc: string, options: ReanchorOptions = {}, lines = new LineIndex(doc)): Reanchored[] {
  const order = anchors.map((_, i) => i);
  let sorted = true;
  for (let i = 1; i < anchors.length && sorted; i++) sorted = anchors[i - 1].start <= anchors[i].start;
  if (!sorted) order.sort((a, b) => anchors[a].start - anchors[b].start || a - b);
  const out = new Array<Reanchored>(anchors.length);
  let shift = 0;
  for (const i of order) {
    const a = anchors[i];
    const r = reanchor(a, doc, lines, options, a.start + shift);
    if (r.status === 'kept' || r.status === 'moved') shift = r.anchor.start - a.start;
    out[i] = r;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Incremental path: the editor says what changed, no search needed for spans outside the change.
// ---------------------------------------------------------------------------------------------

/** One change in UTF-16 offsets of the document before it; `text` replaces [start, end). */
export interface OffsetEdit {
  start: number;
  end: number;
  text: string;
}

/** An LSP-like content change: a range in the document before it, and the new text. */
export interface RangeEdit {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  text: string;
}

/**
 * Applies LSP content changes in order (each is relative to the document after the previous one,
 * as in textDocument/didChange) and returns their offsets and the new text.
 */
export function applyRangeEdits(doc: string, edits: readonly RangeEdit[]): { text: string; edits: OffsetEdit[] } {
  const out: OffsetEdit[] = [];
  let text = doc;
  for (const e of edits) {
    const lines = new LineIndex(text);
    const start = lines.offsetAt(e.range.start);
    const end = Math.max(start, lines.offsetAt(e.range.end));
    out.push({ start, end, text: e.text });
    text = text.slice(0, start) + e.text + text.slice(end);
  }
  return { text, edits: out };
}

/**
 * Shifts spans through a sequence of edits without searching. A span wholly before an edit stays,
 * a span wholly after it moves by the edit's length change; a span the edit touches (overlaps, or
 * an insertion strictly inside it) is returned in `touched` for `reanchor` against the new text.
 * An insertion exactly at a span's start goes before the span, at its end after it.
 * Context and line of the returned anchors are refreshed from `newDoc`.
 */
export function shiftAnchors(anchors: readonly Anchor[], edits: readonly OffsetEdit[], newDoc: string, lines = new LineIndex(newDoc)): { anchors: Array<Anchor | undefined>; touched: number[] } {
  const starts = anchors.map((a) => a.start);
  const ends = anchors.map((a) => a.end);
  const hit = new Uint8Array(anchors.length);
  for (const e of edits) {
    const delta = e.text.length - (e.end - e.start);
    for (let i = 0; i < starts.length; i++) {
      if (hit[i]) continue;
      const s = starts[i];
      const t = ends[i];
      if (e.end <= s && !(e.start === e.end && e.start === s && s === t)) {
        starts[i] = s + delta;
        ends[i] = t + delta;
      } else if (e.start >= t) {
        // after the span: nothing moves
      } else {
        hit[i] = 1;
      }
    }
  }
  const touched: number[] = [];
  const out = anchors.map((a, i): Anchor | undefined => {
    if (hit[i]) {
      touched.push(i);
      return undefined;
    }
    return relocate(a, newDoc, starts[i], lines);
  });
  return { anchors: out, touched };
}
