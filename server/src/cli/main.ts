// The `loopmark` command's entry (dist/cli.js, required by bin/loopmark.js): it always runs the
// program. A guard such as `require.main === module` made the bin, which requires this bundle, do
// nothing and exit 0.
import { buildCli } from './program';
import { fail } from './root';

buildCli()
  .parseAsync(process.argv)
  .catch((error: unknown) => fail((error as Error).message));
