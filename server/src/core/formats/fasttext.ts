// fastText's supervised format (doccano imports it too): one sample per line, its labels first as
// `__label__name` words, then the text. A line with labels but no text is reported.
import type { Codec, IncrementalReader, ReadOptions } from './codec';
import { readAll } from './codec';
import { lineReader } from './lines';
import { newDocument, UnsupportedCounter, type FormatProblem, type InterchangeDocument } from './model';
import { defaultAnnotator } from './recordCodec';

const NAME = 'fasttext';
const PREFIX = '__label__';

function reader(options: ReadOptions = {}): IncrementalReader {
  const problems: FormatProblem[] = [];
  return lineReader(
    (line, number, emit) => {
      if (line.trim() === '') return;
      const words = line.split(' ');
      const labels: string[] = [];
      let i = 0;
      while (i < words.length && words[i]!.startsWith(PREFIX)) labels.push(words[i++]!.slice(PREFIX.length));
      const text = words.slice(i).join(' ');
      if (text.trim() === '') {
        problems.push({ line: number, message: 'the line has labels but no text: skipped' });
        return;
      }
      const doc = newDocument(text);
      if (labels.length > 0) {
        const annotator = defaultAnnotator(NAME, options);
        doc.labels.push(labels.length === 1 ? { annotator, label: labels[0]!, answer: 'accept' } : { annotator, labels, answer: 'accept' });
      }
      emit(doc);
    },
    () => undefined,
    () => ({ problems: [...problems], unsupported: [] }),
  );
}

function write(documents: readonly InterchangeDocument[]) {
  const unsupported = new UnsupportedCounter();
  let text = '';
  for (const doc of documents) {
    const accepted = doc.labels.filter((a) => a.answer === 'accept');
    const labels = [...new Set(accepted.flatMap((a) => a.labels ?? (a.label !== undefined ? [a.label] : [])))];
    if (doc.labels.some((a) => a.spans && a.spans.length > 0)) unsupported.add('spans (fastText labels whole lines)');
    if (doc.labels.length > accepted.length) unsupported.add('rejected or ignored decisions (fastText keeps only labels)');
    if (doc.predictions.length > 0) unsupported.add('predictions (fastText input has no scores)', doc.predictions.length);
    if (Object.keys(doc.fields).length > 0) unsupported.add('fields besides the text (fastText has none)');
    if (/[\r\n]/.test(doc.text)) unsupported.add('line breaks in texts (written as spaces: fastText is one sample per line)');
    if (labels.some((l) => /\s/.test(l))) unsupported.add('labels with spaces (written with _)');
    const prefix = labels.map((l) => `${PREFIX}${l.replace(/\s/g, '_')} `).join('');
    text += `${prefix}${doc.text.replace(/\r\n|[\r\n]/g, ' ')}\n`;
  }
  return { text, unsupported: unsupported.list() };
}

export const fasttext: Codec = {
  name: NAME,
  description: 'fastText supervised text (__label__name text)',
  detect(sample, fileName) {
    const lines = sample.split(/\r?\n/).filter((l) => l.trim() !== '').slice(0, 20);
    if (lines.length === 0) return 0;
    const hits = lines.filter((l) => l.startsWith(PREFIX)).length;
    return hits === 0 ? 0 : 0.5 + 0.4 * (hits / lines.length) + (/\.(txt|ft)$/i.test(fileName) ? 0.05 : 0);
  },
  read: (input, _fileName, options) => (typeof input === 'string' ? readAll(reader(options), input) : { documents: [], problems: [{ line: 0, message: 'fastText reads one file' }], unsupported: [] }),
  reader: (_fileName, options) => reader(options),
  write,
};
