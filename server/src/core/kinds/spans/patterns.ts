// Pattern rules that suggest spans: per label, a regular expression, a list of terms, or a
// Prodigy/spaCy pattern (a phrase string, or a list of token attributes like {"lower": "cocaine"}).
// A match is a suggestion with score 1.0 and the rule that made it.
//
// Rules come from users, so they are checked, not trusted: a bad regex, an unknown token attribute
// or a rule without a label is a problem naming the rule (and the file line for a patterns file),
// and the other rules still run. Regexes can backtrack catastrophically (`(a+)+$` takes seconds on
// 30 characters); JavaScript cannot interrupt a running match, so:
//   1. when V8's linear-time engine is on (`enableLinearRegexEngine()`, the `l` flag), every regex
//      it accepts runs in linear time;
//   2. otherwise a regex with a quantified group that itself holds an unbounded quantifier (the
//      shape of every classic ReDoS) is refused with a message saying how to rewrite it;
//   3. every document has a time budget (default 50 ms for all rules): past it the remaining rules
//      stop on that document and a problem says which and where.

import { setFlagsFromString } from 'node:v8';
import { tokenize, type Token } from './tokens';

/** A rule as written in loopmark.json or a patterns file; validated by `compilePatterns`. */
export interface PatternRule {
  label: string;
  /** A JavaScript regular expression (Python's `(?P<name>` and a leading `(?i)` are accepted). */
  regex?: string;
  terms?: string[];
  /** Terms only; default true (Prodigy's phrase patterns are case-sensitive too). */
  caseSensitive?: boolean;
  /** Prodigy/spaCy: a phrase (exact, on token boundaries) or a list of token attribute objects. */
  pattern?: string | Array<Record<string, unknown>>;
  id?: string;
}

export interface PatternProblem {
  /** Index of the rule in the list given to compilePatterns. */
  rule: number;
  /** 1-based line of the rule in its patterns file, when it came from one. */
  line?: number;
  file?: string;
  message: string;
}

export interface SuggestedSpan {
  /** UTF-16 offsets in the matched text. */
  start: number;
  end: number;
  label: string;
  /** 1.0: a rule is certain of what it matched (the user wrote it). */
  score: number;
  /** Which rule matched: its id, else a short description (`regex /AKIA…/`, `terms FIXME, XXX`). */
  rule: string;
}

// ---------------------------------------------------------------------------------------------
// Regex safety
// ---------------------------------------------------------------------------------------------

let linear: boolean | undefined;

/** Whether RegExp accepts the `l` flag (V8's linear-time engine) in this process. */
export function linearRegexAvailable(): boolean {
  if (linear === undefined) {
    try {
      new RegExp('a', 'l');
      linear = true;
    } catch {
      linear = false;
    }
  }
  return linear;
}

/**
 * Turns on V8's linear-time regex engine for the `l` flag (the server calls this once at start;
 * Node 20 honours the flag when set at run time). Returns whether the flag is now accepted.
 */
export function enableLinearRegexEngine(): boolean {
  if (!linearRegexAvailable()) {
    setFlagsFromString('--enable-experimental-regexp-engine');
    linear = undefined;
  }
  return linearRegexAvailable();
}

/**
 * The classic ReDoS shape: a group repeated by `*`, `+` or `{n,}` that itself contains an
 * unbounded quantifier, like `(a+)+`, `(\w*\s?)*` or `(?:x+y?)+`. Returns the offending group's
 * text, or undefined. A heuristic, not a proof: it refuses some safe regexes and misses
 * overlapping alternations like `(a|a)*`, which the time budget then catches between documents.
 */
export function nestedQuantifier(source: string): string | undefined {
  const stack: Array<{ start: number; unbounded: boolean }> = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push({ start: i, unbounded: false });
    else if (c === ')') {
      const group = stack.pop();
      if (!group) continue;
      const q = quantifierAt(source, i + 1);
      if (q === 'unbounded' && group.unbounded) return source.slice(group.start, i + 2);
      if (group.unbounded || q === 'unbounded') {
        if (stack.length) stack[stack.length - 1].unbounded = true;
      }
    } else if ((c === '*' || c === '+' || c === '{') && quantifierAt(source, i) === 'unbounded') {
      if (stack.length) stack[stack.length - 1].unbounded = true;
    }
  }
  return undefined;
}

function quantifierAt(s: string, i: number): 'unbounded' | 'bounded' | undefined {
  const c = s[i];
  if (c === '*' || c === '+') return 'unbounded';
  if (c === '?') return 'bounded';
  if (c === '{') {
    const m = /^\{(\d*)(,(\d*))?\}/.exec(s.slice(i, i + 20));
    if (!m) return undefined;
    return m[2] !== undefined && m[3] === '' ? 'unbounded' : 'bounded';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Compiled rules
// ---------------------------------------------------------------------------------------------

interface TokenTest {
  (t: Token, lower: string): boolean;
}

interface TokenElement {
  test: TokenTest;
  op: '1' | '?' | '*' | '+' | '!';
}

type Compiled =
  | { kind: 'regex'; label: string; rule: string; re: RegExp }
  | { kind: 'tokens'; label: string; rule: string; elements: TokenElement[]; firstLower?: string; firstOrth?: string };

export interface PatternSet {
  readonly rules: readonly Compiled[];
  readonly problems: readonly PatternProblem[];
}

const WORD_EDGE = /[\p{L}\p{N}_]/u;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A term matches only as a whole word: not inside a longer word on a side where it starts or ends with a word character. */
function termSource(term: string): string {
  const head = WORD_EDGE.test(term[0] ?? '') ? '(?<![\\p{L}\\p{N}_])' : '';
  const tail = WORD_EDGE.test(term[term.length - 1] ?? '') ? '(?![\\p{L}\\p{N}_])' : '';
  return head + escapeRegex(term) + tail;
}

function describe(rule: PatternRule): string {
  if (rule.id) return rule.id;
  if (rule.regex !== undefined) return `regex /${rule.regex.length > 40 ? rule.regex.slice(0, 40) + '…' : rule.regex}/`;
  if (rule.terms) return `terms ${rule.terms.slice(0, 3).join(', ')}${rule.terms.length > 3 ? ', …' : ''}`;
  return `pattern ${JSON.stringify(rule.pattern).slice(0, 60)}`;
}

/** Compiles a user regex; returns the RegExp or the message saying what is wrong with it. */
export function compileRegex(source: string, caseInsensitive = false): RegExp | string {
  let src = source.replace(/\(\?P</g, '(?<');
  let flags = 'gu' + (caseInsensitive ? 'i' : '');
  if (src.startsWith('(?i)')) {
    src = src.slice(4);
    if (!flags.includes('i')) flags += 'i';
  }
  let re: RegExp | undefined;
  let error = '';
  for (const f of [flags, flags.replace('u', '')]) {
    try {
      re = new RegExp(src, f);
      break;
    } catch (e) {
      error ||= (e as Error).message;
    }
  }
  if (!re) return `invalid regular expression: ${error.replace(/^Invalid regular expression: /, '')}`;
  if (re.test('')) return 'the regular expression matches the empty string; it would mark every position';
  if (linearRegexAvailable()) {
    // V8's linear engine refuses the u flag; without u the same source means the same unless it uses
    // \p{...} or \u{...} (and `.` then matches half an emoji, which a span never starts inside).
    const variants = /\\[pP]\{|\\u\{/.test(src) ? [re.flags + 'l'] : [re.flags + 'l', re.flags.replace('u', '') + 'l'];
    for (const f of variants) {
      try {
        return new RegExp(src, f);
      } catch {
        // Backreferences and lookarounds need the backtracking engine: fall through to the shape check.
      }
    }
  }
  const nested = nestedQuantifier(src);
  if (nested) return `the regular expression can take exponential time (the repeated group ${nested} repeats something unbounded); rewrite it without a quantifier inside a quantified group`;
  return re;
}

const STRING_ATTRS: Record<string, (t: Token, lower: string) => string> = {
  ORTH: (t) => t.text,
  TEXT: (t) => t.text,
  LOWER: (_t, lower) => lower,
  NORM: (_t, lower) => lower,
};

const FLAG_ATTRS: Record<string, (t: Token) => boolean> = {
  IS_ALPHA: (t) => /^[\p{L}\p{M}]+$/u.test(t.text),
  IS_ASCII: (t) => /^[\x00-\x7f]+$/.test(t.text),
  IS_DIGIT: (t) => /^\d+$/.test(t.text),
  IS_LOWER: (t) => t.text === t.text.toLowerCase() && /\p{L}/u.test(t.text),
  IS_UPPER: (t) => t.text === t.text.toUpperCase() && /\p{L}/u.test(t.text),
  IS_TITLE: (t) => /^\p{Lu}[\p{Ll}\p{M}]*$/u.test(t.text),
  IS_PUNCT: (t) => /^\p{P}+$/u.test(t.text),
  LIKE_NUM: (t) => /^[\d.,]+$/.test(t.text) && /\d/.test(t.text),
  LIKE_URL: (t) => /^(https?:\/\/|www\.)/i.test(t.text),
  LIKE_EMAIL: (t) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(t.text),
};

/** One spaCy token pattern element, or a message. */
function compileElement(spec: Record<string, unknown>): TokenElement | string {
  const tests: TokenTest[] = [];
  let op: TokenElement['op'] = '1';
  for (const [rawKey, value] of Object.entries(spec)) {
    const key = rawKey.toUpperCase();
    if (key === 'OP') {
      if (value === '?' || value === '*' || value === '+' || value === '!') op = value;
      else if (value !== '1') return `unsupported OP ${JSON.stringify(value)} (use ?, *, + or !)`;
      continue;
    }
    const str = STRING_ATTRS[key];
    if (str) {
      const cmp = compileValue(value, key === 'LOWER' || key === 'NORM');
      if (typeof cmp === 'string') return `${rawKey}: ${cmp}`;
      tests.push((t, lower) => cmp(str(t, lower)));
      continue;
    }
    const flag = FLAG_ATTRS[key];
    if (flag) {
      if (typeof value !== 'boolean') return `${rawKey} takes true or false`;
      tests.push((t) => flag(t) === value);
      continue;
    }
    if (key === 'LENGTH') {
      if (typeof value !== 'number') return 'LENGTH takes a number';
      tests.push((t) => [...t.text].length === value);
      continue;
    }
    return `unsupported token attribute "${rawKey}" (supported: ${[...Object.keys(STRING_ATTRS), ...Object.keys(FLAG_ATTRS), 'LENGTH', 'OP'].join(', ')})`;
  }
  return { test: (t, lower) => tests.every((f) => f(t, lower)), op };
}

function compileValue(value: unknown, lower: boolean): ((s: string) => boolean) | string {
  if (typeof value === 'string') return (s) => s === value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length !== 1) return 'takes a string or one of {"IN": [...]}, {"NOT_IN": [...]}, {"REGEX": "..."}';
    const [op, arg] = entries[0];
    if ((op === 'IN' || op === 'NOT_IN') && Array.isArray(arg) && arg.every((x) => typeof x === 'string')) {
      const set = new Set(arg as string[]);
      return op === 'IN' ? (s) => set.has(s) : (s) => !set.has(s);
    }
    if (op === 'REGEX' && typeof arg === 'string') {
      const re = compileRegex(arg, false);
      if (typeof re === 'string') return re;
      const anchored = new RegExp(re.source, re.flags.replace('g', ''));
      return (s) => anchored.test(s);
    }
    return `unsupported ${JSON.stringify(op)}`;
  }
  return `takes a string${lower ? ' (lowercase)' : ''}`;
}

/**
 * Checks and compiles rules. A rule with a problem is left out and reported; the others run.
 * `lines` gives the 1-based file line of each rule (patterns files), for the messages.
 */
export function compilePatterns(rules: readonly unknown[], source?: { file: string; lines?: readonly number[] }): PatternSet {
  const compiled: Compiled[] = [];
  const problems: PatternProblem[] = [];
  rules.forEach((raw, index) => {
    const problem = (message: string): void => {
      problems.push({ rule: index, ...(source ? { file: source.file, line: source.lines?.[index] } : {}), message });
    };
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return problem('a pattern rule is an object like {"label": "secret", "regex": "AKIA[0-9A-Z]{16}"}');
    const rule = raw as PatternRule;
    if (typeof rule.label !== 'string' || !rule.label) return problem('the rule has no "label"');
    const kinds = ['regex', 'terms', 'pattern'].filter((k) => (rule as unknown as Record<string, unknown>)[k] !== undefined);
    if (kinds.length !== 1) return problem(`the rule needs exactly one of "regex", "terms" or "pattern" (it has ${kinds.length ? kinds.join(', ') : 'none'})`);
    const name = describe(rule);
    if (rule.regex !== undefined) {
      if (typeof rule.regex !== 'string') return problem('"regex" must be a string');
      const re = compileRegex(rule.regex);
      if (typeof re === 'string') return problem(`${name}: ${re}`);
      compiled.push({ kind: 'regex', label: rule.label, rule: name, re });
    } else if (rule.terms !== undefined) {
      if (!Array.isArray(rule.terms) || !rule.terms.length || !rule.terms.every((t) => typeof t === 'string' && t.trim())) return problem('"terms" must be a non-empty list of non-empty strings');
      if (rule.caseSensitive !== undefined && typeof rule.caseSensitive !== 'boolean') return problem('"caseSensitive" must be true or false');
      // Longest first, so that "New York City" wins over "New York" at the same place.
      const terms = [...new Set(rule.terms)].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
      const flags = 'gu' + (rule.caseSensitive === false ? 'i' : '');
      compiled.push({ kind: 'regex', label: rule.label, rule: name, re: new RegExp(terms.map(termSource).join('|'), flags) });
    } else if (typeof rule.pattern === 'string') {
      if (!rule.pattern.trim()) return problem('"pattern" is an empty string');
      compiled.push({ kind: 'regex', label: rule.label, rule: name, re: new RegExp(termSource(rule.pattern), 'gu') });
    } else if (Array.isArray(rule.pattern) && rule.pattern.length) {
      const elements: TokenElement[] = [];
      for (const [i, spec] of rule.pattern.entries()) {
        if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return problem(`token ${i + 1} of "pattern" is not an object`);
        const el = compileElement(spec);
        if (typeof el === 'string') return problem(`token ${i + 1} of "pattern": ${el}`);
        elements.push(el);
      }
      if (elements.every((e) => e.op === '?' || e.op === '*' || e.op === '!')) return problem('"pattern" can match no token at all');
      const first = rule.pattern[0] as Record<string, unknown>;
      const firstKey = Object.keys(first).find((k) => k.toUpperCase() === 'LOWER' || k.toUpperCase() === 'ORTH' || k.toUpperCase() === 'TEXT');
      const indexable = Object.keys(first).length === 1 && firstKey && typeof first[firstKey] === 'string';
      compiled.push({
        kind: 'tokens',
        label: rule.label,
        rule: name,
        elements,
        ...(indexable && firstKey!.toUpperCase() === 'LOWER' ? { firstLower: first[firstKey!] as string } : {}),
        ...(indexable && firstKey!.toUpperCase() !== 'LOWER' ? { firstOrth: first[firstKey!] as string } : {}),
      });
    } else {
      return problem('"pattern" must be a string or a non-empty list of token objects');
    }
  });
  return { rules: compiled, problems };
}

/**
 * Reads a Prodigy/spaCy patterns file (JSONL, one rule per line). Bad lines are problems with
 * their line number; blank lines are skipped.
 */
export function parsePatternsFile(text: string, file: string): PatternSet {
  const rules: unknown[] = [];
  const lines: number[] = [];
  const problems: PatternProblem[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    if (!line.trim()) return;
    try {
      rules.push(JSON.parse(line));
      lines.push(i + 1);
    } catch (e) {
      problems.push({ rule: -1, file, line: i + 1, message: `not valid JSON: ${(e as Error).message}` });
    }
  });
  const set = compilePatterns(rules, { file, lines });
  return { rules: set.rules, problems: [...problems, ...set.problems] };
}

/** Merges compiled sets (loopmark.json rules and patterns files of one task). */
export function mergePatternSets(...sets: PatternSet[]): PatternSet {
  return { rules: sets.flatMap((s) => s.rules), problems: sets.flatMap((s) => s.problems) };
}

export interface MatchOptions {
  /** Only matches that overlap [from, to) (UTF-16): the visible range. Default: the whole text. */
  from?: number;
  to?: number;
  /** Time for all rules on this text. Default 50 ms. */
  budgetMs?: number;
}

/** How far before `from` a match may start and still reach into the range (longer matches are cut off by the range). */
const RANGE_SLACK = 1000;

/**
 * Suggested spans of every rule in `text`, sorted by start then end. Zero-length matches are
 * skipped. Offsets are UTF-16 units of `text`.
 */
export function matchPatterns(set: PatternSet, text: string, options: MatchOptions = {}): { spans: SuggestedSpan[]; problems: PatternProblem[] } {
  const from = Math.max(0, options.from ?? 0);
  const to = Math.min(text.length, options.to ?? text.length);
  const scanFrom = Math.max(0, from - RANGE_SLACK);
  const scanTo = Math.min(text.length, to + RANGE_SLACK);
  const deadline = performance.now() + (options.budgetMs ?? 50);
  const spans: SuggestedSpan[] = [];
  const problems: PatternProblem[] = [];
  let tokens: Token[] | undefined;
  let lowers: string[] | undefined;
  let byLower: Map<string, number[]> | undefined;
  const slice = scanFrom === 0 && scanTo === text.length ? text : text.slice(scanFrom, scanTo);
  for (const [ri, rule] of set.rules.entries()) {
    if (performance.now() > deadline) {
      problems.push({ rule: ri, message: `pattern rules stopped after ${options.budgetMs ?? 50} ms on this text; ${set.rules.length - ri} rules (from ${rule.rule}) did not run` });
      break;
    }
    if (rule.kind === 'regex') {
      const re = rule.re;
      re.lastIndex = 0;
      let count = 0;
      for (let m = re.exec(slice); m; m = re.exec(slice)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const start = scanFrom + m.index;
        const end = start + m[0].length;
        if (end > from && start < to) spans.push({ start, end, label: rule.label, score: 1, rule: rule.rule });
        if ((++count & 255) === 0 && performance.now() > deadline) break;
      }
      continue;
    }
    if (!tokens) {
      tokens = tokenize(slice);
      lowers = tokens.map((t) => t.text.toLowerCase());
      byLower = new Map();
      lowers.forEach((l, i) => {
        const list = byLower!.get(l);
        if (list) list.push(i);
        else byLower!.set(l, [i]);
      });
    }
    const starts = rule.firstLower !== undefined ? byLower!.get(rule.firstLower) ?? [] : rule.firstOrth !== undefined ? (byLower!.get(rule.firstOrth.toLowerCase()) ?? []).filter((i) => tokens![i].text === rule.firstOrth) : tokens.map((_, i) => i);
    for (const ti of starts) {
      const endToken = longestMatch(rule.elements, 0, tokens, lowers!, ti);
      if (endToken <= ti) continue;
      const start = scanFrom + tokens[ti].start;
      const end = scanFrom + tokens[endToken - 1].end;
      if (end > from && start < to) spans.push({ start, end, label: rule.label, score: 1, rule: rule.rule });
    }
  }
  spans.sort((a, b) => a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return { spans: dedupe(spans), problems };
}

/** The same span and label from two rules is one suggestion (the first rule's). */
function dedupe(spans: SuggestedSpan[]): SuggestedSpan[] {
  const out: SuggestedSpan[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && last.start === s.start && last.end === s.end && last.label === s.label) continue;
    out.push(s);
  }
  return out;
}

/** Token index just past the longest match of elements[ei..] starting at token ti, or -1. */
function longestMatch(elements: readonly TokenElement[], ei: number, tokens: readonly Token[], lowers: readonly string[], ti: number): number {
  if (ei === elements.length) return ti;
  const el = elements[ei];
  const ok = (i: number): boolean => i < tokens.length && el.test(tokens[i], lowers[i]);
  switch (el.op) {
    case '1':
      return ok(ti) ? longestMatch(elements, ei + 1, tokens, lowers, ti + 1) : -1;
    case '!':
      return ti < tokens.length && !el.test(tokens[ti], lowers[ti]) ? longestMatch(elements, ei + 1, tokens, lowers, ti + 1) : -1;
    case '?': {
      const take = ok(ti) ? longestMatch(elements, ei + 1, tokens, lowers, ti + 1) : -1;
      return Math.max(take, longestMatch(elements, ei + 1, tokens, lowers, ti));
    }
    case '*':
    case '+': {
      let n = 0;
      while (ok(ti + n)) n++;
      const min = el.op === '+' ? 1 : 0;
      for (let k = n; k >= min; k--) {
        const r = longestMatch(elements, ei + 1, tokens, lowers, ti + k);
        if (r >= 0) return r;
      }
      return -1;
    }
  }
}
