// brat standoff (nlplab/brat): per document a `.txt` (the text) and a `.ann` (one annotation per
// line, tab-separated). `T` lines are text-bound: `T1<TAB>Label 0 5<TAB>text`, discontinuous as
// `T1<TAB>Label 0 5;10 15<TAB>text1 text2`; they become spans (one per fragment, rejoined into the
// same T line on writing). `A`, `R`, `E`, `N`, `M`, `*` and `#` lines have no editor in Loopmark:
// kept verbatim and in place. Offsets count code points (brat's server is Python). `annotation.conf`
// gives the label set: entity and event types.
import type { Codec, FileSet, ReadResult } from './codec';
import { newDocument, UnsupportedCounter, type FormatProblem, type InterchangeDocument, type Span } from './model';
import { OffsetMap } from './offsets';
import { defaultAnnotator } from './recordCodec';
import { spanKey } from './spanExtras';

const NAME = 'brat';

/** A line of the .ann file: a T line rebuilt from spans, or any other line kept as it was. */
type AnnLine = { t: string; label: string; keys: string[] } | { verbatim: string };

interface BratExtra {
  lines: AnnLine[];
  /** The collection's annotation.conf, on the first document only (written back once). */
  conf?: string;
}

/** The label set of an annotation.conf: the types in [entities] and [events] (`Type|GO:...` names Type). */
export function confLabels(conf: string): string[] {
  const labels: string[] = [];
  let section = '';
  for (const raw of conf.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || /^-+$/.test(line)) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    if (section !== 'entities' && section !== 'events') continue;
    const name = line.split(/\s/, 1)[0]!.replace(/^!/, '').split('|')[0]!;
    if (name && !labels.includes(name)) labels.push(name);
  }
  return labels;
}

function readDocument(stem: string, text: string, ann: string, annotator: string, problems: FormatProblem[], unsupported: UnsupportedCounter, labelSet: string[] | undefined): InterchangeDocument {
  const doc = newDocument(text, stem);
  const map = new OffsetMap(text);
  const spans: Span[] = [];
  const lines: AnnLine[] = [];
  const file = `${stem}.ann`;
  ann.split(/\r?\n/).forEach((line, i) => {
    if (line === '' && i === ann.split(/\r?\n/).length - 1) return; // the final newline
    const t = /^(T\d+)\t(\S+) ([\d ;]+)\t?(.*)$/.exec(line);
    if (!t) {
      lines.push({ verbatim: line });
      if (/^([RENAM]\d+|\*|#\d*)\t/.test(line)) unsupported.add(`brat ${line[0]} lines (kept verbatim, not editable in Loopmark)`);
      else if (line.trim() !== '') problems.push({ file, line: i + 1, message: `not a brat annotation (T, R, E, N, A, M, * or # line): kept verbatim` });
      return;
    }
    const [, id, label, ranges, covered] = t;
    const fragments = ranges!.split(';').map((r) => r.trim().split(' ').map(Number));
    if (fragments.some((f) => f.length !== 2 || !Number.isInteger(f[0]) || !Number.isInteger(f[1]) || f[0]! < 0 || f[1]! < f[0]! || f[1]! > map.codePointLength)) {
      problems.push({ file, line: i + 1, message: `${id}: offsets "${ranges}" are not start end pairs inside the text (${map.codePointLength} characters): kept verbatim` });
      lines.push({ verbatim: line });
      return;
    }
    const texts = fragments.map(([s, e]) => map.slice(s!, e!));
    if (covered !== undefined && covered !== texts.join(' ')) {
      problems.push({ file, line: i + 1, message: `${id}: the text "${covered}" is not what offsets ${ranges} cover ("${texts.join(' ')}")` });
    }
    if (labelSet && !labelSet.includes(label!)) problems.push({ file, line: i + 1, message: `${id}: label "${label}" is not declared in annotation.conf` });
    if (fragments.length > 1) unsupported.add('discontinuous brat entities (read as one span per fragment, rejoined on export)');
    const keys: string[] = [];
    fragments.forEach(([s, e], k) => {
      const span: Span = { start: s!, end: e!, label: label!, text: texts[k]! };
      spans.push(span);
      keys.push(spanKey(span));
    });
    lines.push({ t: id!, label: label!, keys });
  });
  doc.labels.push({ annotator, answer: 'accept', spans });
  doc.extra[NAME] = { lines } satisfies BratExtra;
  return doc;
}

function read(input: string | FileSet, fileName: string, annotator: string): ReadResult {
  const problems: FormatProblem[] = [];
  const unsupported = new UnsupportedCounter();
  const documents: InterchangeDocument[] = [];
  if (typeof input === 'string') {
    return { documents, problems: [{ line: 0, file: fileName, message: 'brat standoff is a folder of .txt and .ann files: give the folder (or a .ann file beside its .txt)' }], unsupported: [] };
  }
  const confName = [...input.keys()].find((k) => k === 'annotation.conf' || k.endsWith('/annotation.conf'));
  const conf = confName === undefined ? undefined : input.get(confName)!;
  const labels = conf === undefined ? undefined : confLabels(conf);
  const stems = [...new Set([...input.keys()].filter((k) => /\.(txt|ann)$/.test(k)).map((k) => k.slice(0, -4)))].sort();
  for (const stem of stems) {
    const text = input.get(`${stem}.txt`);
    const ann = input.get(`${stem}.ann`);
    if (text === undefined) {
      problems.push({ line: 0, file: `${stem}.ann`, message: `no ${stem}.txt beside it: skipped` });
      continue;
    }
    documents.push(readDocument(stem, text, ann ?? '', annotator, problems, unsupported, labels));
  }
  if (conf !== undefined && documents[0]) (documents[0].extra[NAME] as BratExtra).conf = conf;
  return { documents, problems, unsupported: unsupported.list(), ...(labels ? { labels } : {}) };
}

function write(documents: readonly InterchangeDocument[]) {
  const unsupported = new UnsupportedCounter();
  const files: FileSet = new Map();
  let conf: string | undefined;
  documents.forEach((doc, index) => {
    const extra = doc.extra[NAME] as BratExtra | undefined;
    if (extra?.conf !== undefined) conf = extra.conf;
    const stem = (doc.id ?? `doc-${index + 1}`).replace(/[\\:*?"<>|]/g, '_').replace(/(^|\/)\.\.(?=\/|$)/g, '$1__');
    const annotation = doc.labels.find((a) => a.answer === 'accept');
    if (doc.labels.length > 1) unsupported.add('decisions of more annotators (a brat .ann holds one; export per annotator)', doc.labels.length - 1);
    if (doc.predictions.length > 0) unsupported.add('predictions (brat standoff has no scores)', doc.predictions.length);
    if (doc.labels.some((a) => (a.label !== undefined || (a.labels && a.labels.length > 0)))) unsupported.add('document labels (brat labels spans only)');
    const map = new OffsetMap(doc.text);
    const left = new Map<string, Span[]>();
    for (const s of annotation?.spans ?? []) left.set(spanKey(s), [...(left.get(spanKey(s)) ?? []), s]);
    const take = (key: string) => {
      const list = left.get(key);
      const span = list?.shift();
      if (list && list.length === 0) left.delete(key);
      return span;
    };
    const out: string[] = [];
    let next = 1;
    for (const line of extra?.lines ?? []) if ('t' in line) next = Math.max(next, Number(line.t.slice(1)) + 1);
    const tLine = (id: string, label: string, spans: Span[]) =>
      `${id}\t${label} ${spans.map((s) => `${s.start} ${s.end}`).join(';')}\t${spans.map((s) => map.slice(s.start, s.end)).join(' ')}`;
    for (const line of extra?.lines ?? []) {
      if ('verbatim' in line) out.push(line.verbatim);
      else {
        const spans = line.keys.map(take);
        if (spans.every((s): s is Span => s !== undefined)) out.push(tLine(line.t, line.label, spans));
        else unsupported.add('brat entities whose spans were removed (dropped; lines that refer to them are kept)');
      }
    }
    for (const list of left.values()) for (const s of list) out.push(tLine(`T${next++}`, s.label, [s]));
    files.set(`${stem}.txt`, doc.text);
    files.set(`${stem}.ann`, out.length === 0 ? '' : `${out.join('\n')}\n`);
  });
  if (conf === undefined) {
    const labels = [...new Set(documents.flatMap((d) => d.labels.flatMap((a) => (a.spans ?? []).map((s) => s.label))))].sort();
    conf = `[entities]\n${labels.map((l) => `${l}\n`).join('')}\n[relations]\n\n[events]\n\n[attributes]\n`;
  }
  files.set('annotation.conf', conf);
  return { files, unsupported: unsupported.list() };
}

export const brat: Codec = {
  name: NAME,
  description: 'brat standoff (a folder of .txt + .ann, annotation.conf)',
  multiFile: true,
  detect(sample, fileName) {
    if (/\.ann$/i.test(fileName)) return 0.95;
    if (/(^|[\\/])annotation\.conf$/.test(fileName)) return 0.9;
    return /^T\d+\t\S+ \d+ \d+/m.test(sample) ? 0.7 : 0;
  },
  read: (input, fileName, options) => read(input, fileName, defaultAnnotator(NAME, options ?? {})),
  write,
};
