// Entry point of dist/server.js, the server the VS Code client starts (the CLI's `lsp` command runs the same).
import { createServerConnection } from './connection';
import { startServer } from './server';

startServer(createServerConnection());
