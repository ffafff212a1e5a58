// doccano's CSV for text classification: a header with `text` and `label` (other columns are kept),
// one label per row. Parsed with csv-parse (quotes, embedded newlines and CRLF as RFC 4180 says).
import { parse } from 'csv-parse/sync';
import type { Codec, ReadOptions, ReadResult } from './codec';
import { newDocument, UnsupportedCounter, type FormatProblem, type InterchangeDocument } from './model';
import { defaultAnnotator } from './recordCodec';

const NAME = 'doccano-csv';

function read(input: string, options: ReadOptions = {}): ReadResult {
  const problems: FormatProblem[] = [];
  const documents: InterchangeDocument[] = [];
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  try {
    rows = parse(input, { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true, info: true }) as typeof rows;
  } catch (error) {
    const e = error as Error & { lines?: number };
    return { documents, problems: [{ line: e.lines ?? 0, message: `Not valid CSV: ${e.message}` }], unsupported: [] };
  }
  const textKey = options.textField ?? 'text';
  const labelKey = options.labelField ?? 'label';
  if (rows.length > 0 && !(textKey in rows[0]!.record)) {
    return { documents, problems: [{ line: 1, message: `The header has no "${textKey}" column (columns: ${Object.keys(rows[0]!.record).join(', ')})` }], unsupported: [] };
  }
  for (const { record, info } of rows) {
    const text = record[textKey];
    if (text === undefined || text === '') {
      problems.push({ line: info.lines, message: `the row has no text in column "${textKey}": skipped` });
      continue;
    }
    const doc = newDocument(text);
    const label = record[labelKey];
    if (label !== undefined && label !== '') doc.labels.push({ annotator: defaultAnnotator(NAME, options), label, answer: 'accept' });
    for (const [k, v] of Object.entries(record)) if (k !== textKey && k !== labelKey) doc.fields[k] = v;
    documents.push(doc);
  }
  return { documents, problems, unsupported: [] };
}

function cell(value: unknown): string {
  const s = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function write(documents: readonly InterchangeDocument[]) {
  const unsupported = new UnsupportedCounter();
  const extraColumns = [...new Set(documents.flatMap((d) => Object.keys(d.fields)))].filter((k) => k !== 'text' && k !== 'label');
  const lines = [['text', 'label', ...extraColumns].map(cell).join(',')];
  for (const doc of documents) {
    const labels = doc.labels.filter((a) => a.answer === 'accept').flatMap((a) => a.labels ?? (a.label !== undefined ? [a.label] : []));
    if (doc.labels.some((a) => a.spans && a.spans.length > 0)) unsupported.add('spans (doccano CSV holds one class per row)');
    if (doc.labels.some((a) => a.answer !== 'accept')) unsupported.add('rejected or ignored decisions (doccano keeps only labels)');
    if (doc.predictions.length > 0) unsupported.add('predictions (doccano imports no model scores)', doc.predictions.length);
    // doccano reads several rows with the same text as several labels of one sample.
    for (const label of labels.length > 0 ? [...new Set(labels)] : ['']) lines.push([doc.text, label, ...extraColumns.map((k) => doc.fields[k])].map(cell).join(','));
  }
  return { text: `${lines.join('\n')}\n`, unsupported: unsupported.list() };
}

export const doccanoCsv: Codec = {
  name: NAME,
  description: 'doccano CSV for text classification (text,label columns)',
  detect(sample, fileName) {
    const header = sample.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
    const columns = header.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    if (columns.includes('text') && columns.includes('label')) return /\.csv$/i.test(fileName) ? 0.9 : 0.6;
    return /\.csv$/i.test(fileName) && columns.includes('text') ? 0.5 : 0;
  },
  read: (input, _fileName, options) => (typeof input === 'string' ? read(input, options) : { documents: [], problems: [{ line: 0, message: 'doccano CSV reads one file' }], unsupported: [] }),
  write,
};
