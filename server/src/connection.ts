// The server's connection over stdio (or what the command line says), telling the scheduler of
// long work about every incoming message, so that a burst of messages is handled before its next slice.
import { createConnection, ProposedFeatures, type Connection } from 'vscode-languageserver/node';
import { noteMessage } from './core/slicer';

export function createServerConnection(): Connection {
  return createConnection(ProposedFeatures.all, {
    messageStrategy: {
      handleMessage(message, next) {
        noteMessage();
        next(message);
      },
    },
  });
}
