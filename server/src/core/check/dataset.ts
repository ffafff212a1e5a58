// `loopmark check` on a dataset: every line is a usable sample, and no two samples share an id (their
// labels would be shared too).
import type { DatasetView } from '../dataset';
import type { CheckProblem } from './problem';

export function checkDataset(dataset: DatasetView, file: string): CheckProblem[] {
  const problems: CheckProblem[] = [];
  for (let line = 0; line < dataset.lineCount; line++) {
    const parsed = dataset.parsedLine(line);
    if (parsed.kind === 'error') {
      problems.push({ file, line, severity: 'error', code: 'invalid-sample', message: parsed.error.message });
      continue;
    }
    if (parsed.kind !== 'sample') continue;
    if (parsed.warning) problems.push({ file, line, severity: 'warning', code: 'invalid-sample', message: parsed.warning.message });
    const lines = dataset.linesOf(parsed.sample.id);
    if (lines.length > 1 && lines[0] !== line) {
      problems.push({ file, line, severity: 'warning', code: 'duplicate-id', message: `sample id '${parsed.sample.id}' was used first on line ${lines[0]! + 1}: both share one label; give each sample its own id` });
    }
  }
  return problems;
}
