// Entry point of dist/server.js, the server the VS Code client starts (the CLI's `lsp` command runs the same).
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

startServer(createConnection(ProposedFeatures.all));
