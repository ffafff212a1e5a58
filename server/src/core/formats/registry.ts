// Every codec, by name, and `--from auto`: the codec most sure of a file's head. A new format is a
// file in this folder and a line here.
import { argilla } from './argilla';
import { brat } from './brat';
import type { Codec } from './codec';
import { conll } from './conll';
import { doccano } from './doccano';
import { doccanoCsv } from './doccanoCsv';
import { fasttext } from './fasttext';
import { huggingface } from './huggingface';
import { labelStudio } from './labelStudio';
import { labelStudioMin } from './labelStudioMin';
import { prodigy } from './prodigy';
import { spacy } from './spacy';

export const CODECS: readonly Codec[] = [prodigy, labelStudio, labelStudioMin, doccano, doccanoCsv, fasttext, brat, conll, argilla, spacy, huggingface];

export function codecNamed(name: string): Codec | undefined {
  return CODECS.find((c) => c.name === name);
}

/** Below this, no codec recognises the file and auto-detection refuses to guess. */
export const DETECT_THRESHOLD = 0.3;

/** The codecs that recognise a file's head, most sure first (the first is `--from auto`'s choice). */
export function detectFormat(sample: string, fileName: string): { codec: Codec; confidence: number }[] {
  const ranked: { codec: Codec; confidence: number }[] = [];
  for (const codec of CODECS) {
    let confidence = 0;
    try {
      confidence = codec.detect(sample, fileName);
    } catch {
      confidence = 0;
    }
    if (confidence >= DETECT_THRESHOLD) ranked.push({ codec, confidence });
  }
  return ranked.sort((a, b) => b.confidence - a.confidence);
}
