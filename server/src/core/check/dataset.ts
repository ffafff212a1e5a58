// `loopmark check` on a dataset: every line is a usable sample, and no two samples share an id (their
// labels would be shared too).
import type { DatasetView } from '../dataset';
import type { CheckProblem } from './problem';

/**
 * `warnings: false` for a dataset indexed from disk: its index knows each line's kind and id, but a
 * warning (a bad prediction inside a usable sample) needs the line parsed again, one disk read per line.
 */
export function checkDataset(dataset: DatasetView, file: string, options: { warnings?: boolean } = {}): CheckProblem[] {
  const warnings = options.warnings ?? true;
  const problems: CheckProblem[] = [];
  for (let line = 0; line < dataset.lineCount; line++) {
    const kind = dataset.lineKind(line);
    if (kind === 'blank') continue;
    if (kind === 'error') {
      const parsed = dataset.parsedLine(line);
      if (parsed.kind === 'error') problems.push({ file, line, severity: 'error', code: 'invalid-sample', message: parsed.error.message });
      continue;
    }
    if (warnings) {
      const parsed = dataset.parsedLine(line);
      if (parsed.kind === 'sample' && parsed.warning) problems.push({ file, line, severity: 'warning', code: 'invalid-sample', message: parsed.warning.message });
    }
    const id = dataset.idAt(line);
    const lines = id === undefined ? [] : dataset.linesOf(id);
    if (lines.length > 1 && lines[0] !== line) {
      problems.push({ file, line, severity: 'warning', code: 'duplicate-id', message: `sample id '${id}' was used first on line ${lines[0]! + 1}: both share one label; give each sample its own id` });
    }
  }
  return problems;
}
