// CoNLL 2003 style token-per-line files (and the BIO files of WNUT, doccano, spaCy's converters):
// `token [columns...] tag`, tab or space separated, a blank line between sentences, `-DOCSTART-`
// lines between documents. Tags in BIO (IOB2), IOB1 (CoNLL 2003's original: I- inside and at the
// start, B- only between two adjacent chunks of one type), BILOU/BIOES or bare IO labels; the scheme is
// detected per sentence and written back the same way, so tokens and tags round-trip. A sentence is
// one document: its text is the tokens joined by single spaces, spans in code points over it.
import { readAll, type Codec, type IncrementalReader, type ReadOptions } from './codec';
import { lineReader } from './lines';
import { newDocument, UnsupportedCounter, type FormatProblem, type InterchangeDocument, type Span } from './model';
import { codePointLength, OffsetMap } from './offsets';
import { defaultAnnotator } from './recordCodec';

const NAME = 'conll';

export type TagScheme = 'BIO' | 'IOB1' | 'BILOU' | 'BIOES' | 'IO';

interface ConllExtra {
  scheme: TagScheme;
  separator: string;
  /** Columns between the token and the tag (POS, chunk...), per token, when the file has them. */
  columns?: string[][];
  /** Lines before this sentence that are not tokens (`-DOCSTART- -X- -X- O`). */
  before?: string[];
}

function split(tag: string): { prefix: string; label: string } {
  const m = /^([BIELSU])[-_](.+)$/.exec(tag);
  return m ? { prefix: m[1]!, label: m[2]! } : { prefix: tag === 'O' ? 'O' : '', label: tag };
}

/** Tags to spans over token indices (end exclusive). Tolerant: an I- after O or another type starts a chunk. */
export function tagsToChunks(tags: readonly string[]): { start: number; end: number; label: string; iStart: boolean }[] {
  const chunks: { start: number; end: number; label: string; iStart: boolean }[] = [];
  let open: { start: number; end: number; label: string; iStart: boolean } | undefined;
  tags.forEach((tag, i) => {
    const { prefix, label } = split(tag);
    if (prefix === 'O') {
      open = undefined;
      return;
    }
    const continues = open && open.label === label && open.end === i && (prefix === 'I' || prefix === 'E' || prefix === 'L' || prefix === '');
    if (continues) open!.end = i + 1;
    else {
      open = { start: i, end: i + 1, label, iStart: prefix === 'I' };
      chunks.push(open);
    }
    if (prefix === 'E' || prefix === 'L' || prefix === 'S' || prefix === 'U') open = undefined;
  });
  return chunks;
}

export function detectScheme(tags: readonly string[]): TagScheme {
  const prefixes = new Set(tags.map((t) => split(t).prefix));
  if (prefixes.has('L') || prefixes.has('U')) return 'BILOU';
  if (prefixes.has('E') || prefixes.has('S')) return 'BIOES';
  if (prefixes.has('')) return 'IO';
  return tagsToChunks(tags).some((c) => c.iStart) ? 'IOB1' : 'BIO';
}

export function chunksToTags(length: number, chunks: readonly { start: number; end: number; label: string }[], scheme: TagScheme): string[] {
  const tags = new Array<string>(length).fill('O');
  const sorted = [...chunks].sort((a, b) => a.start - b.start);
  let previous: { end: number; label: string } | undefined;
  for (const c of sorted) {
    const n = c.end - c.start;
    for (let i = c.start; i < c.end; i++) {
      const first = i === c.start;
      const last = i === c.end - 1;
      let prefix: string;
      if (scheme === 'IO') prefix = '';
      else if (scheme === 'BILOU' || scheme === 'BIOES') prefix = n === 1 ? (scheme === 'BILOU' ? 'U' : 'S') : first ? 'B' : last ? (scheme === 'BILOU' ? 'L' : 'E') : 'I';
      else if (scheme === 'IOB1') prefix = first && previous?.end === c.start && previous.label === c.label ? 'B' : 'I';
      else prefix = first ? 'B' : 'I';
      tags[i] = prefix === '' ? c.label : `${prefix}-${c.label}`;
    }
    previous = c;
  }
  return tags;
}

function reader(options: ReadOptions = {}): IncrementalReader {
  const problems: FormatProblem[] = [];
  const unsupported = new UnsupportedCounter();
  let tokens: string[] = [];
  let tags: string[] = [];
  let columns: string[][] = [];
  let hasColumns = false;
  let separator = '\t';
  let before: string[] = [];
  let sentence = 0;
  const annotator = defaultAnnotator(NAME, options);
  const flush = (emit: (doc: InterchangeDocument) => void) => {
    if (tokens.length === 0) return;
    sentence++;
    const text = tokens.join(' ');
    const doc = newDocument(text, String(sentence));
    const starts: number[] = [];
    let at = 0;
    for (const t of tokens) {
      starts.push(at);
      at += codePointLength(t) + 1;
    }
    const spans: Span[] = tagsToChunks(tags).map((c) => ({ start: starts[c.start]!, end: starts[c.end - 1]! + codePointLength(tokens[c.end - 1]!), label: c.label }));
    doc.labels.push({ annotator, answer: 'accept', spans });
    const extra: ConllExtra = { scheme: detectScheme(tags), separator };
    if (hasColumns) extra.columns = columns;
    if (before.length > 0) extra.before = before;
    doc.extra[NAME] = extra;
    emit(doc);
    tokens = [];
    tags = [];
    columns = [];
    hasColumns = false;
    before = [];
  };
  const onLine = (line: string, number: number, emit: (doc: InterchangeDocument) => void) => {
    if (line.trim() === '') return flush(emit);
    if (line.startsWith('-DOCSTART-')) {
      flush(emit);
      before.push(line);
      return;
    }
    const sep = line.includes('\t') ? '\t' : ' ';
    const parts = sep === '\t' ? line.split('\t') : line.trim().split(/ +/);
    if (parts.length < 2 || parts[0] === '') {
      problems.push({ line: number, message: `expected "token${sep === '\t' ? '<TAB>' : ' '}tag", found ${JSON.stringify(line.slice(0, 60))}: the line is skipped` });
      return;
    }
    if (tokens.length === 0) separator = sep;
    const token = parts[0]!;
    if (/\s/.test(token)) problems.push({ line: number, message: 'the token contains a space: it is split in two on export' });
    tokens.push(token);
    let tag = parts[parts.length - 1]!;
    // A bare label is an IO tag only when it looks like one (PER, LOC, MISC): random text is not a tag.
    if (!/^(O|[BIELSU][-_]\S+|[A-Z][A-Z0-9_.]*)$/.test(tag)) {
      problems.push({ line: number, message: `"${tag.slice(0, 30)}" is not a tag (O, B-TYPE, I-TYPE, L-, U-, E-, S-): read as O` });
      tag = 'O';
    }
    tags.push(tag);
    const middle = parts.slice(1, -1);
    if (middle.length > 0) hasColumns = true;
    columns.push(middle);
  };
  return lineReader(
    onLine,
    (emit) => {
      flush(emit);
      if (before.length > 0) problems.push({ line: 0, message: `${before.length} -DOCSTART- line(s) at the end of the file have no sentence after them: dropped` });
    },
    () => ({ problems: [...problems], unsupported: unsupported.list() }),
  );
}

/** Tokens of a text with their code point ranges: whitespace-separated words, cut again at span edges. */
function tokenize(text: string, spans: readonly Span[]): { text: string; start: number; end: number }[] {
  const map = new OffsetMap(text);
  const cuts = new Set<number>();
  for (const s of spans) {
    cuts.add(s.start);
    cuts.add(s.end);
  }
  const out: { text: string; start: number; end: number }[] = [];
  const cps = [...text];
  let i = 0;
  while (i < cps.length) {
    while (i < cps.length && /\s/.test(cps[i]!)) i++;
    if (i >= cps.length) break;
    let j = i + 1;
    while (j < cps.length && !/\s/.test(cps[j]!) && !cuts.has(j)) j++;
    out.push({ text: map.slice(i, j), start: i, end: j });
    i = j;
  }
  return out;
}

function write(documents: readonly InterchangeDocument[]) {
  const unsupported = new UnsupportedCounter();
  let text = '';
  for (const doc of documents) {
    const extra = doc.extra[NAME] as ConllExtra | undefined;
    const annotation = doc.labels.find((a) => a.answer === 'accept' && a.spans) ?? (doc.labels.length === 0 ? undefined : doc.labels[0]);
    if (doc.labels.length > 1) unsupported.add('decisions of more annotators (CoNLL has one tag column; export per annotator)', doc.labels.length - 1);
    const fromPrediction = !annotation ? doc.predictions.find((p) => p.spans) : undefined;
    if (doc.predictions.length > (fromPrediction ? 1 : 0)) unsupported.add('predictions (CoNLL has no scores)', doc.predictions.length - (fromPrediction ? 1 : 0));
    if (doc.labels.some((a) => a.label !== undefined || (a.labels && a.labels.length > 0))) unsupported.add('document labels (CoNLL tags tokens)');
    if (Object.keys(doc.fields).length > 0) unsupported.add('fields besides the text (CoNLL has only tokens)');
    const spans = [...(annotation?.spans ?? fromPrediction?.spans ?? [])].sort((a, b) => a.start - b.start || b.end - a.end);
    const tokens = tokenize(doc.text, spans);
    const chunks: { start: number; end: number; label: string }[] = [];
    let covered = -1;
    for (const s of spans) {
      const first = tokens.findIndex((t) => t.end > s.start);
      let last = first;
      while (last >= 0 && last + 1 < tokens.length && tokens[last + 1]!.start < s.end) last++;
      if (first < 0 || tokens[first]!.start >= s.end) {
        unsupported.add('spans covering only spaces (no token to tag)');
        continue;
      }
      if (first <= covered) {
        unsupported.add('overlapping spans (CoNLL gives a token one tag: the first span kept)');
        continue;
      }
      chunks.push({ start: first, end: last + 1, label: s.label });
      covered = last;
    }
    for (const line of extra?.before ?? []) text += `${line}\n\n`;
    const tags = chunksToTags(tokens.length, chunks, extra?.scheme ?? 'BIO');
    const sep = extra?.separator ?? '\t';
    tokens.forEach((t, i) => {
      const middle = extra?.columns?.[i] ?? [];
      text += `${[t.text, ...middle, tags[i]].join(sep)}\n`;
    });
    if (tokens.length > 0) text += '\n';
  }
  return { text, unsupported: unsupported.list() };
}

export const conll: Codec = {
  name: NAME,
  description: 'CoNLL 2003 / BIO, BILOU (token per line, blank line between sentences)',
  detect(sample, fileName) {
    const lines = sample.split(/\r?\n/).slice(0, 50).filter((l) => l.trim() !== '');
    if (lines.length === 0 || lines[0]!.trimStart().startsWith('{') || lines[0]!.trimStart().startsWith('[')) return 0;
    const tagged = lines.filter((l) => l.startsWith('-DOCSTART-') || /^\S+([\t ]+\S+)*[\t ]+(O|[BIELSU][-_]\S+)$/.test(l)).length;
    const ratio = tagged / lines.length;
    return ratio < 0.8 ? 0 : 0.6 + 0.3 * ratio + (/\.(conll|bio|iob|tsv)$/i.test(fileName) ? 0.05 : 0);
  },
  read: (input, _fileName, options) => (typeof input === 'string' ? readAll(reader(options), input) : { documents: [], problems: [{ line: 0, message: 'CoNLL reads one file' }], unsupported: [] }),
  reader: (_fileName, options) => reader(options),
  write,
};
