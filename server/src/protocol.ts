// The wire contract between a Loopmark client and the server: every custom request, notification
// and command id, with the types they carry. Imported by both; it imports nothing of the server's
// core and no `vscode`, so another editor's client can be written from this file alone (see
// docs/protocol.md). Standard LSP covers the rest (diagnostics, code actions, hover).
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';

/** A label of a task's label set; the description is the annotation guideline. */
export interface LabelDef {
  name: string;
  description?: string;
  /** Multi-label tasks: the probability from which the model puts this label in the set. */
  threshold?: number;
}

/**
 * What a user chose about a sample: exactly one of `label` (single-label tasks) and `labels`
 * (multi-label tasks: the complete set, may be empty). The server fills in the rest (who, when) and,
 * when `source` is absent, judges it against the prediction the sample shows.
 */
export interface Decision {
  sampleId: string;
  label?: string;
  labels?: string[];
  answer: 'accept' | 'reject' | 'ignore';
  source?: 'prediction' | 'correction' | 'manual';
  score?: number;
  /** A part of the sample: a span of its text (offsets in code points), or a turn. */
  target?: { kind: 'span'; start: number; end: number } | { kind: 'turn'; index: number };
}

/** Server-side command run by quick fixes and the label picker: write a decision to the label file. */
export const APPLY_LABEL_COMMAND = 'loopmark.server.applyLabel';

export interface ApplyLabelArgs {
  uri: string;
  decision: Decision;
}

/** The code action kind of "accept every prediction above a score" (a source action). */
export const ACCEPT_ABOVE_KIND = 'source.loopmark.acceptAbove';

/** A task's embedded model: off (and why), cold (too few examples per label), or ready. */
export interface ModelStatus {
  state: 'off' | 'cold' | 'ready';
  reason?: string;
  examples: number;
  counts: Record<string, number>;
  minExamplesPerLabel: number;
}

/** The counts of a dataset, for a status bar. */
export interface DatasetStatus {
  task: string;
  model?: ModelStatus;
  total: number;
  labeled: number;
  needsReview: number;
  errors: number;
  /** Samples skipped (answer `ignore`); absent when none. */
  skipped?: number;
  /** Labels whose sample is gone from the dataset (kept, reported); absent when there are none. */
  orphaned?: number;
}

/** Client → server: labeled / total counts of a dataset, for the status bar. Null when not a dataset. */
export namespace StatusRequest {
  export const method = 'loopmark/status';
  export const type = new RequestType<{ uri: string }, DatasetStatus | null, void>(method);
}

/** Client → server: the sample at a line, its label set and prediction, for the label picker. */
export interface SampleChoice {
  sampleId: string;
  line: number;
  labels: LabelDef[];
  predictedLabel?: string;
  score?: number;
  currentLabel?: string;
  /** The task labels sets (multi-label): the picker then lets several labels be chosen. */
  multiLabel?: boolean;
  /** Multi-label: the predicted set. */
  predictedLabels?: string[];
  /** Multi-label: the labeled set (the current annotator's, else the latest). */
  currentLabels?: string[];
  /** Multi-label: the probability of each label, when the prediction gives them. */
  scores?: Record<string, number>;
}
export namespace SampleAtRequest {
  export const method = 'loopmark/sampleAt';
  export const type = new RequestType<{ uri: string; line: number }, SampleChoice | null, void>(method);
}

/** Client → server: the next sample that needs review after a position, in this dataset or another of its task. */
export interface SampleLocation {
  uri: string;
  line: number;
  character: number;
  endCharacter: number;
}
export namespace NextSampleRequest {
  export const method = 'loopmark/nextSample';
  export const type = new RequestType<{ uri: string; line: number }, SampleLocation | null, void>(method);
}

/** Client → server: the text of a loopmark.json inferred from the workspace's data. */
export namespace InferredConfigRequest {
  export const method = 'loopmark/inferredConfig';
  export const type = new RequestType<{ folderUri: string }, { uri: string; text: string } | null, void>(method);
}

/** Server → client: labels of a dataset changed (written here, by another window, or by git). */
export namespace LabelsChangedNotification {
  export const method = 'loopmark/labelsChanged';
  export const type = new NotificationType<{ uri?: string }>(method);
}

/** One entry of the review queue, as the Review Queue view shows it. */
export interface QueueEntry {
  uri: string;
  line: number;
  sampleId: string;
  /** A short excerpt of the sample's text (untrusted: shown as plain text only). */
  excerpt: string;
  /** The predicted label; for a multi-label task the predicted set as text, `{billing, bug}`. */
  label?: string;
  /** Multi-label: the predicted set. */
  labels?: string[];
  score?: number;
  origin?: 'file' | 'model';
  /** Model and file predictions disagree. */
  disagreement?: string;
}

/** Client → server: the next samples to review in the task of `uri` (or the first task). */
export namespace QueueRequest {
  export const method = 'loopmark/queue';
  export const type = new RequestType<{ uri?: string; n: number }, { task: string; strategy: string; items: QueueEntry[] } | null, void>(method);
}

/** Client → server: how many unlabeled samples of a dataset have a prediction scoring at least `minScore`. */
export namespace BulkPreviewRequest {
  export const method = 'loopmark/bulkPreview';
  export const type = new RequestType<{ uri: string; minScore: number }, { count: number; byLabel: Record<string, number> }, void>(method);
}

/** Client → server: accept every such prediction (one durable write). Returns how many were written. */
export namespace BulkAcceptRequest {
  export const method = 'loopmark/bulkAccept';
  export const type = new RequestType<{ uri: string; minScore: number }, { written: number }, void>(method);
}

/** Client-side command: the label picker for the sample at (uri, line), or at the cursor without arguments. */
export const LABEL_PICKER_COMMAND = 'loopmark.labelSample';

/** Client-side command a source action runs: asks for the score, confirms the count, accepts. */
export const ACCEPT_ABOVE_COMMAND = 'loopmark.acceptAllAbove';

/** Client → server: the line ranges an editor shows of a document; diagnostics of large datasets focus there. */
export namespace VisibleRangesNotification {
  export const method = 'loopmark/visibleRanges';
  export const type = new NotificationType<{ uri: string; ranges: Array<[number, number]> }>(method);
}

/**
 * Open by reference. JSON-RPC makes a 48 MB didOpen cost about 250 ms to receive and parse before any
 * handler runs (and the client about 350 ms to serialise it). For a large document that is saved
 * (not dirty) and on disk, the client sends `textDocument/didOpen` with an empty `text` and this
 * extra member; the server reads the file and checks it against the fingerprint. Edits then flow
 * as usual (incremental didChange). Other LSP clients simply send the text.
 */
export interface OpenFromDisk {
  /** The document's length in UTF-16 code units, as VS Code holds it. */
  length: number;
  /** `documentFingerprint` of the document's text. */
  fingerprint: string;
  /** `headHash` of the document's text: the server may show the lines of the head before the rest is read. */
  head?: string;
}
export const OPEN_FROM_DISK_KEY = 'loopmarkOpenFromDisk';

/** Documents at least this long (UTF-16 code units) are opened by reference when saved. */
export const OPEN_FROM_DISK_MIN_LENGTH = 4 << 20;

/** The windows of a text of `length` code units that `documentFingerprint` hashes: 64 of 256, spread, ends included. */
export function fingerprintWindows(length: number): Array<[number, number]> {
  const WINDOWS = 64;
  const WIDTH = 256;
  const windows: Array<[number, number]> = [];
  const step = Math.max(WIDTH, Math.floor(length / WINDOWS));
  for (let start = 0; start < length; start += step) windows.push([start, Math.min(length, start + WIDTH)]);
  windows.push([Math.max(0, length - WIDTH), length]);
  return windows;
}

/** The fingerprint from the texts of `fingerprintWindows(length)`, in order: the length and an FNV-1a hash. */
export function fingerprintOf(length: number, windowTexts: readonly string[]): string {
  let hash = 0x811c9dc5;
  for (const text of windowTexts) {
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  }
  return `${length}:${(hash >>> 0).toString(16)}`;
}

/**
 * A cheap fingerprint of a text without reading all of it: catches a different file, another
 * encoding or normalised line endings. `slice(start, end)` gives the text between two offsets.
 */
export function documentFingerprint(length: number, slice: (start: number, end: number) => string): string {
  return fingerprintOf(length, fingerprintWindows(length).map(([start, end]) => slice(start, end)));
}

/** How much of a document's start `headHash` covers, in UTF-16 code units. */
export const HEAD_LENGTH = 1 << 20;

/** An FNV-1a hash of a text fed in pieces: `headHash` of the whole, without joining the pieces. */
export class HeadHasher {
  private hash = 0x811c9dc5;
  length = 0;

  update(piece: string): void {
    let hash = this.hash;
    for (let i = 0; i < piece.length; i++) hash = Math.imul(hash ^ piece.charCodeAt(i), 0x01000193);
    this.hash = hash;
    this.length += piece.length;
  }

  digest(): string {
    return `${this.length}:${(this.hash >>> 0).toString(16)}`;
  }
}

/** An FNV-1a hash of every code unit of the first HEAD_LENGTH of a text (or all of a shorter one). */
export function headHash(head: string): string {
  const hasher = new HeadHasher();
  hasher.update(head);
  return hasher.digest();
}

/** The reference a client sends for a document it opens by reference. */
export function openFromDiskReference(text: string): OpenFromDisk {
  return {
    length: text.length,
    fingerprint: documentFingerprint(text.length, (start, end) => text.slice(start, end)),
    head: headHash(text.slice(0, HEAD_LENGTH)),
  };
}

/** Server → client: the text of an open document, when the disk did not match it (rare: the slow path). */
export namespace DocumentTextRequest {
  export const method = 'loopmark/documentText';
  export const type = new RequestType<{ uri: string }, { version: number; text: string } | null, void>(method);
}
