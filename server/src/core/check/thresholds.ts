// The thresholds of `loopmark check` for CI: how much the annotators must agree, how many samples may
// still await review.
import { headlineAgreement, type AgreementReport } from '../agreement/report';
import type { CheckProblem } from './problem';

export function agreementProblem(report: AgreementReport, min: number, file: string): CheckProblem | undefined {
  const { name, value } = headlineAgreement(report);
  if (Number.isNaN(value) || value >= min) return undefined;
  return { file, line: 0, severity: 'error', code: 'low-agreement', message: `${name} ${value.toFixed(3)} is below --min-agreement ${min} (${report.overall.units} samples decided by two or more of ${report.annotators.join(', ')}; \`loopmark agreement\` shows where they differ)` };
}

export function unreviewedProblem(unreviewed: number, max: number, file: string): CheckProblem | undefined {
  if (unreviewed <= max) return undefined;
  return { file, line: 0, severity: 'error', code: 'too-many-unreviewed', message: `${unreviewed} samples have no decision yet, more than --max-unreviewed ${max}` };
}
