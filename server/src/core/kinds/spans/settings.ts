// The spans kind's own fields of a task in loopmark.json: pattern rules per label, a Prodigy
// patterns file, and whether two labeled spans of one sample may overlap.
import type { KindSettings } from '../kind';
import { compilePatterns, type PatternSet } from './patterns';

export interface SpansSettings {
  patterns: PatternSet;
  /** Workspace-relative path of a Prodigy patterns JSONL (read by the workspace: not wired yet). */
  patternsFile?: string;
  /** False (the default, as CoNLL and spaCy's `ents`): a span may not overlap another labeled span. */
  overlap: boolean;
}

export const spansSettings: KindSettings<SpansSettings> = {
  properties: {
    patterns: {
      type: 'array',
      description: 'Rules that suggest spans: {label, regex} or {label, terms: [...]} (or a Prodigy token pattern). A match is suggested with score 1.0.',
      items: { type: 'object', required: ['label'], properties: { label: { type: 'string' }, regex: { type: 'string' }, terms: { type: 'array', items: { type: 'string' } }, caseSensitive: { type: 'boolean' }, id: { type: 'string' }, pattern: {} } },
    },
    patternsFile: { type: 'string', description: 'A Prodigy/spaCy patterns file (JSONL, one {label, pattern} a line), relative to the workspace root.' },
    overlap: { type: 'boolean', default: false, description: 'Whether labeled spans of one sample may overlap (nested entities). Default false.' },
  },
  parse(raw) {
    const settings: SpansSettings = { patterns: compilePatterns(Array.isArray(raw['patterns']) ? raw['patterns'] : []), overlap: raw['overlap'] === true };
    if (typeof raw['patternsFile'] === 'string') settings.patternsFile = raw['patternsFile'];
    return settings;
  },
};

export function spansSettingsOf(task: { settings?: unknown }): SpansSettings {
  return (task.settings as SpansSettings | undefined) ?? spansSettings.parse({});
}
