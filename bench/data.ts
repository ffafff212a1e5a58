// Deterministic benchmark datasets: JSON Lines records of 480-496 bytes (newline included), shaped
// like the demo's: {"id", "text", "prediction": {"label", "score"}, "meta"}. ASCII only, so bytes ==
// characters. Files are written in chunks (never whole in memory) to a temporary name, then renamed;
// a small .meta.json next to each file records what it holds, and a file is reused when its meta
// matches and its size on disk is the size the meta recorded.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mulberry32 } from '../server/src/core/model/prng';
import { serializeLabel } from '../server/src/core/labels';
import type { LabelRecord } from '../server/src/core/types';

/** Bump when the record shape changes: old files are then regenerated. */
const GENERATOR_VERSION = 3;

export const LABELS = ['positive', 'negative', 'neutral'] as const;
export const BENCH_ANNOTATOR = 'bench@example.com';
export const PRIOR_ANNOTATOR = 'colleague@example.com';

const WORDS = (
  'the a an and but or so because while when after before if though since until of to in on for with at by from ' +
  'about into over under between through during without battery screen charger cable strap case app update ' +
  'support service delivery package order refund price quality sound camera keyboard mouse speaker headphones ' +
  'laptop phone tablet watch dock firmware manual warranty seller store box button light display signal ' +
  'connection setup account password review week month day hour minute year morning night customer product ' +
  'model version feature problem issue reply email call store shipping color size weight design material ' +
  'works broke stopped arrived lasted charged failed returned replaced answered ordered received used tried ' +
  'bought expected liked hated loved recommend returned fixed crashed froze connected paired installed ' +
  'is was are were has had does did will would can could should might must seems looks feels sounds ' +
  'really very quite fairly pretty too almost never always often sometimes again still already just only ' +
  'good great excellent fine okay decent poor bad terrible awful cheap expensive fast slow loud quiet bright ' +
  'dim heavy light easy hard simple confusing helpful useless reliable flimsy solid sturdy comfortable ' +
  'I we they it this that these those my our their your he she you me us them' +
  ' first second third last next new old older newer other same different whole half full empty'
).split(/\s+/).filter(Boolean);

const SOURCES = ['store-reviews', 'support-tickets', 'app-feedback', 'survey', 'forum'];
const LANGS = ['en', 'en', 'en', 'en-GB', 'en-US'];

export interface GeneratedRecord {
  line: string;
  id: string;
  label: string;
  score: number;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Sentences of random words, exactly `length` characters long (ends with a period). */
function textOfLength(rand: () => number, length: number): string {
  let out = '';
  let sentenceStart = true;
  while (out.length < length) {
    let w = WORDS[Math.floor(rand() * WORDS.length)]!;
    if (sentenceStart) w = w[0]!.toUpperCase() + w.slice(1);
    sentenceStart = false;
    out += (out ? ' ' : '') + w;
    const r = rand();
    if (r < 0.08) {
      out += '.';
      sentenceStart = true;
    } else if (r < 0.13) out += ',';
  }
  out = out.slice(0, Math.max(0, length - 1)).trimEnd();
  while (out.length < length - 1) out += 'x';
  return length > 0 ? `${out}.` : '';
}

/** Record `i` of a dataset generated with `seed`; its line (without newline) is 479-495 characters. */
export function makeRecord(i: number, rand: () => number): GeneratedRecord {
  const id = `s${pad(i, 7)}`;
  const lineLength = 479 + Math.floor(rand() * 17);
  const label = LABELS[Math.floor(rand() * LABELS.length)]!;
  // 40 % below the default threshold 0.8 (review), 60 % above (suggestion).
  const score = (rand() < 0.4 ? 340 + Math.floor(rand() * 460) : 800 + Math.floor(rand() * 200)) / 1000;
  const day = 1 + Math.floor(rand() * 28);
  const month = 1 + Math.floor(rand() * 12);
  const meta = {
    source: SOURCES[Math.floor(rand() * SOURCES.length)],
    lang: LANGS[Math.floor(rand() * LANGS.length)],
    created: `2025-${pad(month, 2)}-${pad(day, 2)}T${pad(Math.floor(rand() * 24), 2)}:${pad(Math.floor(rand() * 60), 2)}:00Z`,
    rating: 1 + Math.floor(rand() * 5),
  };
  const shell = JSON.stringify({ id, text: '', prediction: { label, score }, meta });
  const text = textOfLength(rand, Math.max(20, lineLength - shell.length));
  const line = JSON.stringify({ id, text, prediction: { label, score }, meta });
  return { line, id, label, score };
}

interface Meta {
  version: number;
  seed: number;
  count: number;
  bytes: number;
  withLabels?: { file: string; bytes: number; count: number };
}

function readMeta(file: string): Meta | undefined {
  try {
    return JSON.parse(fs.readFileSync(`${file}.meta.json`, 'utf8')) as Meta;
  } catch {
    return undefined;
  }
}

function sizeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).size;
  } catch {
    return undefined;
  }
}

export interface DatasetFile {
  file: string;
  count: number;
  bytes: number;
  reused: boolean;
  labelFile?: string;
  ms: number;
}

/**
 * Ensures `file` holds `count` generated records (seed `seed`). With `labelFile`, also writes a label
 * file with one decision by PRIOR_ANNOTATOR per sample (canonical order: sorted by id, fixed keys).
 */
export function ensureDataset(file: string, count: number, seed: number, labelFile?: string): DatasetFile {
  const started = performance.now();
  const meta = readMeta(file);
  const labelsOk = !labelFile || (meta?.withLabels?.file === path.basename(labelFile) && sizeOf(labelFile) === meta.withLabels.bytes);
  if (meta && meta.version === GENERATOR_VERSION && meta.seed === seed && meta.count === count && sizeOf(file) === meta.bytes && labelsOk) {
    return { file, count, bytes: meta.bytes, reused: true, ...(labelFile ? { labelFile } : {}), ms: performance.now() - started };
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const labelTmp = labelFile ? `${labelFile}.tmp-${process.pid}` : undefined;
  const fd = fs.openSync(tmp, 'w');
  const lfd = labelTmp ? fs.openSync(labelTmp, 'w') : undefined;
  const rand = mulberry32(seed);
  const labelRand = mulberry32(seed ^ 0x5bd1e995);
  let bytes = 0;
  let labelBytes = 0;
  let chunk: string[] = [];
  let labelChunk: string[] = [];
  const flush = (): void => {
    if (chunk.length === 0) return;
    const text = `${chunk.join('\n')}\n`;
    bytes += fs.writeSync(fd, text);
    chunk = [];
    if (lfd !== undefined && labelChunk.length > 0) {
      labelBytes += fs.writeSync(lfd, `${labelChunk.join('\n')}\n`);
      labelChunk = [];
    }
  };
  for (let i = 1; i <= count; i++) {
    const r = makeRecord(i, rand);
    chunk.push(r.line);
    if (lfd !== undefined) {
      const corrected = labelRand() < 0.15;
      const label = corrected ? LABELS[(LABELS.indexOf(r.label as (typeof LABELS)[number]) + 1) % LABELS.length]! : r.label;
      const seconds = Math.floor(labelRand() * 86400 * 60);
      const record: LabelRecord = {
        id: r.id,
        label,
        answer: 'accept',
        source: corrected ? 'correction' : 'prediction',
        score: r.score,
        annotator: PRIOR_ANNOTATOR,
        time: new Date(Date.UTC(2025, 5, 1) + seconds * 1000).toISOString(),
      };
      labelChunk.push(serializeLabel(record));
    }
    if (chunk.length >= 5000) flush();
  }
  flush();
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  if (lfd !== undefined) fs.closeSync(lfd);
  fs.renameSync(tmp, file);
  if (labelFile && labelTmp) fs.renameSync(labelTmp, labelFile);
  const newMeta: Meta = {
    version: GENERATOR_VERSION, seed, count, bytes,
    ...(labelFile ? { withLabels: { file: path.basename(labelFile), bytes: labelBytes, count } } : {}),
  };
  fs.writeFileSync(`${file}.meta.json`, `${JSON.stringify(newMeta, null, 2)}\n`);
  return { file, count, bytes, reused: false, ...(labelFile ? { labelFile } : {}), ms: performance.now() - started };
}

/** A small dataset of the same shape, for cheap probe requests. */
export function tinyDataset(n = 5): string {
  const rand = mulberry32(7);
  let out = '';
  for (let i = 1; i <= n; i++) out += `${makeRecord(9_000_000 + i, rand).line}\n`;
  return out;
}

export function benchConfig(): string {
  return `${JSON.stringify({
    tasks: [{
      name: 'bench-sentiment',
      kind: 'classify',
      files: ['data/*.jsonl'],
      labels: [
        { name: 'positive', description: 'The customer is satisfied overall.' },
        { name: 'negative', description: 'The customer is dissatisfied.' },
        { name: 'neutral', description: 'No clear sentiment.' },
      ],
      threshold: 0.8,
    }],
  }, null, 2)}\n`;
}
