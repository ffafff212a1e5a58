// Hover: the record under the cursor as its kind describes it (escaped Markdown).
import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import { onDocument, type ServerContext } from '../context';

export function listenHover(context: ServerContext): void {
  context.connection.onHover((params) =>
    onDocument(context, params.textDocument.uri, 'computing a hover', null as Hover | null, (at) => {
      const markdown = at.project.hover(at.file, params.position.line);
      return markdown === undefined ? null : { contents: { kind: MarkupKind.Markdown, value: markdown } };
    }),
  );
}
