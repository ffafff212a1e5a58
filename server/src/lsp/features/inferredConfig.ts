// The loopmark.json Loopmark inferred from a folder's data, for "Write Inferred loopmark.json".
import { pathToFileURL } from 'node:url';
import { InferredConfigRequest } from '../../protocol';
import { filePath, guarded, type ServerContext } from '../context';

export function listenInferredConfig(context: ServerContext): void {
  context.connection.onRequest(InferredConfigRequest.type, ({ folderUri }) =>
    guarded(context, 'inferring loopmark.json', () => {
      const root = typeof folderUri === 'string' ? filePath(folderUri) : undefined;
      const project = root ? context.service.folder(root) : undefined;
      if (!project) return null;
      const { path, text } = context.service.inferredConfig(project);
      return { uri: pathToFileURL(path).toString(), text };
    }),
  );
}
