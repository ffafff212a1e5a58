// A language server with the test-only `flag` kind registered: the built server's own code, plus one
// registry call. Nothing in the server layer or the workspace service knows this kind.
import { registerKind } from '../../server/src/core/kinds/registry';
import { createServerConnection } from '../../server/src/lsp/connection';
import { startServer } from '../../server/src/lsp/server';
import { flagKind } from './flagKind';

registerKind(flagKind);
startServer(createServerConnection());
