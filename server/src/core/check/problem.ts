// What `loopmark check` finds: a problem on a line of a file, in the words a user needs to fix it.

/** `error`: the file is wrong (exit status 1). `warning`: Loopmark copes, but the file should be fixed (fails with --strict). */
export type CheckSeverity = 'error' | 'warning';

export type CheckCode =
  | 'config'
  | 'conflict-marker'
  | 'invalid-json'
  | 'invalid-record'
  | 'invalid-time'
  | 'unknown-label'
  | 'missing-sample'
  | 'duplicate-record'
  | 'conflicting-decisions'
  | 'not-canonical'
  | 'invalid-sample'
  | 'duplicate-id'
  | 'no-union-merge'
  | 'low-agreement'
  | 'too-many-unreviewed';

export interface CheckProblem {
  /** The file, as the user named it or relative to the workspace root. */
  file: string;
  /** 0-based, as LSP counts lines; printed 1-based. */
  line: number;
  severity: CheckSeverity;
  code: CheckCode;
  message: string;
}

/** `file:line: message`, the form editors and CI logs turn into links. */
export function formatProblem(p: CheckProblem): string {
  return `${p.file}:${p.line + 1}: ${p.severity}: ${p.message} [${p.code}]`;
}

/** Whether the problems fail the check: errors always, warnings with `strict`. */
export function failing(problems: readonly CheckProblem[], strict: boolean): boolean {
  return problems.some((p) => p.severity === 'error' || strict);
}
