// Agreement coefficients for nominal labels: observed agreement, Cohen's kappa (two annotators),
// Fleiss' kappa (the same number of annotators on every sample) and Krippendorff's alpha (any number,
// with missing decisions). Each is checked against its published worked example in
// test/unit/agreement-coefficients.test.ts. A coefficient that is undefined for the data (every
// decision the same label, so chance agreement is 1; or no sample decided twice) is NaN.

/** A sample (or span, or turn) as agreement sees it: the labels its annotators gave, missing ones left out. */
export type Unit = readonly string[];

/**
 * Cohen's kappa from a contingency table: `table[i][j]` counts the samples the first annotator put in
 * category i and the second in category j. kappa = (po - pe) / (1 - pe).
 */
export function cohenKappaOfTable(table: readonly (readonly number[])[]): number {
  const k = table.length;
  let n = 0;
  let diagonal = 0;
  const rows = new Array<number>(k).fill(0);
  const columns = new Array<number>(k).fill(0);
  for (let i = 0; i < k; i++) {
    const row = table[i]!;
    if (row.length !== k) throw new Error(`a contingency table is square: row ${i} has ${row.length} cells, not ${k}`);
    for (let j = 0; j < k; j++) {
      const c = row[j]!;
      n += c;
      rows[i]! += c;
      columns[j]! += c;
      if (i === j) diagonal += c;
    }
  }
  if (n === 0) return Number.NaN;
  const observed = diagonal / n;
  let chance = 0;
  for (let i = 0; i < k; i++) chance += (rows[i]! * columns[i]!) / (n * n);
  return chance === 1 ? Number.NaN : (observed - chance) / (1 - chance);
}

/** The contingency table of two annotators' labels on the same samples, over the categories they used. */
export function contingencyTable(pairs: ReadonlyArray<readonly [string, string]>): { categories: string[]; table: number[][] } {
  const categories = [...new Set(pairs.flat())].sort();
  const at = new Map(categories.map((c, i) => [c, i]));
  const table = categories.map(() => new Array<number>(categories.length).fill(0));
  for (const [a, b] of pairs) table[at.get(a)!]![at.get(b)!]!++;
  return { categories, table };
}

/** Cohen's kappa of two annotators from their pairs of labels on the samples both decided. */
export function cohenKappa(pairs: ReadonlyArray<readonly [string, string]>): number {
  return cohenKappaOfTable(contingencyTable(pairs).table);
}

/**
 * Fleiss' kappa from counts: `counts[i][j]` annotators put sample i in category j, and every sample has
 * the same number m of annotators. P_i = (sum_j n_ij^2 - m) / (m (m - 1)); kappa = (mean P_i - Pe) / (1 - Pe)
 * with Pe = sum_j p_j^2.
 */
export function fleissKappa(counts: readonly (readonly number[])[]): number {
  if (counts.length === 0) return Number.NaN;
  const m = counts[0]!.reduce((s, c) => s + c, 0);
  const k = counts[0]!.length;
  if (m < 2) return Number.NaN;
  const totals = new Array<number>(k).fill(0);
  let agreement = 0;
  counts.forEach((row, i) => {
    const raters = row.reduce((s, c) => s + c, 0);
    if (raters !== m || row.length !== k) throw new Error(`Fleiss' kappa needs the same raters and categories on every sample: sample ${i} has ${raters} ratings in ${row.length} categories, sample 0 ${m} in ${k}`);
    let squares = 0;
    row.forEach((c, j) => {
      squares += c * c;
      totals[j]! += c;
    });
    agreement += (squares - m) / (m * (m - 1));
  });
  const n = counts.length;
  const observed = agreement / n;
  const chance = totals.reduce((s, t) => s + (t / (n * m)) ** 2, 0);
  return chance === 1 ? Number.NaN : (observed - chance) / (1 - chance);
}

/** Counts per category of units all decided by the same number of annotators, for `fleissKappa`. */
export function categoryCounts(units: readonly Unit[]): { categories: string[]; counts: number[][] } {
  const categories = [...new Set(units.flat())].sort();
  const at = new Map(categories.map((c, i) => [c, i]));
  const counts = units.map((unit) => {
    const row = new Array<number>(categories.length).fill(0);
    for (const value of unit) row[at.get(value)!]!++;
    return row;
  });
  return { categories, counts };
}

/** Pairs of annotators that agree and pairs in all, over the units decided at least twice. */
function pairCounts(units: readonly Unit[]): { agreeing: number; pairs: number; values: number } {
  let agreeing = 0;
  let pairs = 0;
  let values = 0;
  for (const unit of units) {
    const m = unit.length;
    if (m < 2) continue;
    values += m;
    pairs += m * (m - 1);
    const counts = new Map<string, number>();
    for (const v of unit) counts.set(v, (counts.get(v) ?? 0) + 1);
    for (const c of counts.values()) agreeing += c * (c - 1);
  }
  return { agreeing, pairs, values };
}

/**
 * Observed agreement: the share of agreeing pairs of annotators among all pairs on the same unit.
 * With two annotators this is the share of samples both labeled the same.
 */
export function observedAgreement(units: readonly Unit[]): number {
  const { agreeing, pairs } = pairCounts(units);
  return pairs === 0 ? Number.NaN : agreeing / pairs;
}

/**
 * Krippendorff's alpha for nominal data (Krippendorff 2011, "Computing Krippendorff's alpha-reliability",
 * section C). Units decided once are not pairable and drop out. With the coincidences o_ck (each unit's
 * ordered pairs weighted 1 / (m_u - 1)) and their margins n_c summing to n:
 * alpha = 1 - (n - 1) (n - sum_c o_cc) / (n^2 - sum_c n_c^2).
 */
export function krippendorffAlpha(units: readonly Unit[]): number {
  let n = 0;
  let coincident = 0;
  const margins = new Map<string, number>();
  for (const unit of units) {
    const m = unit.length;
    if (m < 2) continue;
    const counts = new Map<string, number>();
    for (const v of unit) counts.set(v, (counts.get(v) ?? 0) + 1);
    for (const [value, c] of counts) {
      coincident += (c * (c - 1)) / (m - 1);
      margins.set(value, (margins.get(value) ?? 0) + c);
    }
    n += m;
  }
  let squares = 0;
  for (const c of margins.values()) squares += c * c;
  const expected = n * n - squares;
  return expected === 0 ? Number.NaN : 1 - ((n - 1) * (n - coincident)) / expected;
}
