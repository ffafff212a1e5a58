// Entry point of dist/server.js, the server the VS Code client starts (the CLI's `lsp` command runs the same).
import { createServerConnection } from './lsp/connection';
import { startServer } from './lsp/server';

startServer(createServerConnection());
