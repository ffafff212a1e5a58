// Every custom message between the Loopmark client and server, in one place. Imported by both;
// no `vscode` import here. Standard LSP covers the rest (diagnostics, code actions, hover).
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { DatasetStatus } from './core/project';
import type { LabelDecision } from './core/analysis';
import type { LabelDef } from './core/types';

/** Server-side command run by quick fixes: write a decision to the label file. */
export const APPLY_LABEL_COMMAND = 'loopmark.server.applyLabel';

export interface ApplyLabelArgs {
  uri: string;
  decision: LabelDecision;
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
  label?: string;
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
