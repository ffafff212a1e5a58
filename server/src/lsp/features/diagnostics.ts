// Diagnostics: the findings of a document as LSP diagnostics, pulled (textDocument/diagnostic) by
// clients that announce pull support, pushed (textDocument/publishDiagnostics) to every other client
// (Neovim before 0.10, eglot, Sublime LSP, Helix). Large datasets get diagnostics around the lines
// the editor shows (loopmark/visibleRanges), plus the head of the review queue, and a summary.
import * as path from 'node:path';
import {
  DiagnosticSeverity,
  DocumentDiagnosticReportKind,
  type CancellationToken,
  type Diagnostic,
  type InitializeParams,
} from 'vscode-languageserver/node';
import type { Finding } from '../../core/kinds/kind';
import { CancelledError } from '../../core/slicer';
import { FOCUS_MARGIN_LINES } from '../../core/workspace/project';
import { VisibleRangesNotification } from '../../protocol';
import { guarded, located, type ServerContext } from '../context';
import type { OpenDocuments } from '../documents';

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** Pushed diagnostics wait this long after a change, so a burst of edits or labels publishes once. */
const PUSH_DELAY_MS = 50;

export function toDiagnostic(f: Finding, uri?: string): Diagnostic {
  const diagnostic: Diagnostic = {
    range: { start: { line: f.line, character: f.start }, end: { line: f.line, character: f.end } },
    severity: SEVERITY[f.severity],
    source: 'loopmark',
    code: f.code,
    message: f.message,
  };
  if (f.data) diagnostic.data = f.data;
  // The other place a finding is about (the sample a duplicate repeats), in the same document.
  if (f.related && uri) diagnostic.relatedInformation = [{ location: { uri, range: { start: { line: f.related.line, character: f.related.start }, end: { line: f.related.line, character: f.related.end } } }, message: f.related.message }];
  return diagnostic;
}

function summary(message: string): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Information,
    source: 'loopmark',
    code: 'more-to-review',
    message,
  };
}

/** True when the client pulls diagnostics; otherwise the server pushes them. */
export function clientPulls(params: InitializeParams): boolean {
  return params.capabilities.textDocument?.diagnostic !== undefined;
}

export class DiagnosticsFeature {
  /** What each editor shows of a document: diagnostics of large datasets focus there. */
  private readonly visible = new Map<string, Array<[number, number]>>();
  private readonly pushTimers = new Map<string, NodeJS.Timeout>();
  private pull = true;
  private refreshSupported = false;

  constructor(private readonly context: ServerContext, private readonly documents: OpenDocuments) {}

  initialize(params: InitializeParams): void {
    this.pull = clientPulls(params);
    this.refreshSupported = params.capabilities.workspace?.diagnostics?.refreshSupport === true;
  }

  /** Capabilities: a diagnostic provider only for clients that pull. */
  capabilities(): { diagnosticProvider?: { interFileDependencies: boolean; workspaceDiagnostics: boolean } } {
    return this.pull ? { diagnosticProvider: { interFileDependencies: true, workspaceDiagnostics: false } } : {};
  }

  listen(): void {
    const { connection } = this.context;
    connection.languages.diagnostics.on(async (params, token) => ({ kind: DocumentDiagnosticReportKind.Full, items: await this.compute(params.textDocument.uri, token) }));
    connection.onNotification(VisibleRangesNotification.type, ({ uri, ranges }) => {
      if (typeof uri !== 'string' || !Array.isArray(ranges)) return;
      this.visible.set(uri, ranges.filter((r): r is [number, number] => Array.isArray(r) && Number.isInteger(r[0]) && Number.isInteger(r[1])));
      this.refresh(uri);
    });
    // Push clients get diagnostics when a document opens or changes; pull clients ask.
    this.documents.onChange((uri) => this.pushSoon(uri));
    this.documents.onClose((uri) => {
      this.visible.delete(uri);
      if (!this.pull) {
        clearTimeout(this.pushTimers.get(uri));
        this.pushTimers.delete(uri);
        void connection.sendDiagnostics({ uri, diagnostics: [] });
      }
    });
  }

  /** Diagnostics are stale: pull clients are asked to pull again, push clients get them anew. */
  refresh(uri?: string): void {
    if (this.pull) {
      // A client without refresh support may answer with an error: that must not become a crash.
      if (this.refreshSupported) void Promise.resolve(this.context.connection.languages.diagnostics.refresh()).catch(() => undefined);
      return;
    }
    for (const open of uri ? [uri] : this.documents.openUris()) this.pushSoon(open);
    // A label written for one document can change another's (the model learned): all of them, later.
    if (uri) for (const open of this.documents.openUris()) if (open !== uri) this.pushSoon(open, PUSH_DELAY_MS * 4);
  }

  private pushSoon(uri: string, delay = PUSH_DELAY_MS): void {
    if (this.pull || this.pushTimers.has(uri)) return;
    this.pushTimers.set(uri, setTimeout(() => {
      this.pushTimers.delete(uri);
      if (!this.documents.isOpen(uri)) return;
      const version = this.documents.version(uri);
      const never = { isCancellationRequested: false } as CancellationToken;
      this.compute(uri, never).then(
        (diagnostics) => {
          // An edit that arrived meanwhile publishes again; this answer is for the version it saw.
          if (this.documents.isOpen(uri)) void this.context.connection.sendDiagnostics({ uri, ...(version === undefined ? {} : { version }), diagnostics });
        },
        () => undefined,
      );
    }, delay));
  }

  /** The diagnostics of a document, pulled or pushed alike. */
  private async compute(uri: string, token: CancellationToken): Promise<Diagnostic[]> {
    const reading = located(this.context, uri);
    const early = reading ? await this.whileReading(uri, reading, token) : undefined;
    if (early) return early;
    if (token.isCancellationRequested) return guarded(this.context, 'computing diagnostics', () => { throw new CancelledError(); });
    await this.documents.loaded(uri);
    return guarded(this.context, 'computing diagnostics', async () => {
      if (token.isCancellationRequested) throw new CancelledError();
      const at = located(this.context, uri);
      if (!at) return [];
      const focus = this.visible.get(uri);
      const extraLines = at.project.entry(at.file) ? this.context.service.queueHeadLines(at) : [];
      const { findings, omitted } = at.project.findings(at.file, { ...(focus ? { focus } : {}), extraLines, isCancelled: () => token.isCancellationRequested });
      const items = findings.map((f) => toDiagnostic(f, uri));
      const large = await this.context.service.largeDatasetSummary(at, findings, token);
      if (large) items.unshift(summary(large));
      else if (omitted > 0) items.unshift(summary(`${omitted} more findings are not shown; "Loopmark: Next Sample to Review" goes through all of them`));
      return items;
    });
  }

  /**
   * The first diagnostics of a document still being read, once the lines in view (and the margin
   * around them) have arrived: a user opening 48 MB sees the samples in view in a few milliseconds.
   */
  private async whileReading(uri: string, at: NonNullable<ReturnType<typeof located>>, token: CancellationToken): Promise<Diagnostic[] | undefined> {
    const needed = (): number => Math.max(...(this.visible.get(uri) ?? [[0, FOCUS_MARGIN_LINES]]).map((r) => r[1])) + FOCUS_MARGIN_LINES + 2;
    const preview = await this.documents.preview(uri, at, needed, token);
    if (!preview) return undefined;
    const focus = this.visible.get(uri);
    // Only the lines in view and their margin: the first answer must be quick.
    const { findings } = at.project.findings(at.file, { entry: preview.entry, onlyFocus: true, ...(focus ? { focus } : {}) });
    void preview.done.then(() => this.context.refresh(uri));
    return [
      summary(`Loopmark is reading ${path.basename(at.file)} (${preview.trusted} lines so far); diagnostics show around the visible lines`),
      ...findings.map((f) => toDiagnostic(f, uri)),
    ];
  }
}
