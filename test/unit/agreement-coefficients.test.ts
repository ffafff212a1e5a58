// server/src/core/agreement/coefficients.ts against published worked examples: statsmodels' tests
// (statsmodels/stats/tests/test_inter_rater.py: SAS's Cohen table, Wikipedia's Fleiss example, R irr's
// `diagnoses` and `anxiety` data) and Krippendorff (2011)'s reliability data as in R irr's kripp.alpha example.
import * as assert from 'node:assert/strict';
import {
  categoryCounts,
  cohenKappa,
  cohenKappaOfTable,
  contingencyTable,
  fleissKappa,
  krippendorffAlpha,
  observedAgreement,
  type Unit,
} from '../../server/src/core/agreement/coefficients';

function near(actual: number, expected: number, decimals: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 0.5 * 10 ** -decimals, `${what}: ${actual} is not ${expected} to ${decimals} decimals`);
}

// Fleiss (1971) / Wikipedia: 10 subjects, 14 raters, 5 categories (statsmodels' table1).
const WIKIPEDIA_FLEISS = [
  [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
  [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
];

// R irr's `diagnoses`: 30 patients, 6 raters, 5 diagnoses (statsmodels' copy).
const DIAGNOSES = [
  [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
  [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
  [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
  [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
  [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
  [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
];

// R irr's `anxiety`, column-major as statsmodels reshapes it: 20 subjects, raters 1..3.
const ANXIETY = [
  3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3, 3, 6, 4,
  6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4, 2, 1, 4, 4, 3, 2,
  1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2,
];

// Krippendorff (2011), section C / irr's kripp.alpha example: 4 coders x 12 units, `null` = missing.
// Written as irr writes it, matrix(c(...), nrow = 4): each group of four is one unit's coders.
const KRIPPENDORFF_C = [
  1, 1, null, 1, 2, 2, 3, 2, 3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 1, 2, 3, 4, 4, 4, 4, 4,
  1, 1, 2, 1, 2, 2, 2, 2, null, 5, 5, 5, null, null, 1, 1, null, null, 3, null,
];

const units = (rows: readonly (readonly (number | null)[])[]): Unit[] => rows.map((r) => r.filter((v): v is number => v !== null).map(String));

describe('agreement: coefficients against published examples', () => {
  it("Cohen's kappa of SAS's table [[0,4,1],[0,8,0],[0,1,5]] is 0.4842 (statsmodels TestUnweightedCohens)", () => {
    near(cohenKappaOfTable([[0, 4, 1], [0, 8, 0], [0, 1, 5]]), 0.4842, 4, 'kappa');
  });

  it("Cohen's kappa from raw labels: irr kappa2(anxiety[,2:3]) = -0.006289308", () => {
    const rater2 = ANXIETY.slice(20, 40);
    const rater3 = ANXIETY.slice(40, 60);
    const pairs = rater2.map((v, i) => [String(v), String(rater3[i])] as const);
    near(cohenKappa(pairs), -0.006289308, 7, 'kappa');
    // irr drops the category no one used (4 for these raters): the table is over the categories used.
    assert.deepEqual(contingencyTable(pairs).categories, ['1', '2', '3', '4', '6']);
  });

  it("Fleiss' kappa of Wikipedia's 10 subjects x 14 raters is 0.210", () => {
    near(fleissKappa(WIKIPEDIA_FLEISS), 0.210, 3, 'kappa');
  });

  it("Fleiss' kappa of irr's diagnoses is 0.4302445, and per diagnosis (one against the rest) 0.245 0.245 0.520 0.471 0.566", () => {
    const { categories, counts } = categoryCounts(units(DIAGNOSES));
    assert.deepEqual(categories, ['1', '2', '3', '4', '5']);
    assert.deepEqual(counts.reduce((s, r) => s.map((v, j) => v + r[j]!)), [26, 26, 30, 55, 43], "statsmodels' test_aggregate_raters column sums");
    near(fleissKappa(counts), 0.4302445, 7, 'kappa');
    const perCategory = categories.map((c) => fleissKappa(units(DIAGNOSES).map((u) => [u.filter((v) => v === c).length, u.filter((v) => v !== c).length])));
    perCategory.forEach((k, j) => near(k, [0.245, 0.245, 0.520, 0.471, 0.566][j]!, 3, `diagnosis ${j + 1}`));
  });

  it("Krippendorff's alpha (nominal) of the 4 coders x 12 units with missing values is 0.743", () => {
    const rows: (number | null)[][] = [];
    for (let u = 0; u < 12; u++) rows.push(KRIPPENDORFF_C.slice(4 * u, 4 * u + 4));
    const data = units(rows);
    assert.equal(data.filter((u) => u.length >= 2).length, 11, 'unit 12 has a single value: not pairable');
    near(krippendorffAlpha(data), 0.743, 3, 'alpha');
  });

  it("two coders, nothing missing: alpha = 1 - (n - 1) / n * (1 - pi), with Scott's pi = Fleiss' kappa for m = 2", () => {
    // An identity (Krippendorff 2011, section A) between two implementations that share no code; n counts values.
    const data = units(DIAGNOSES.map((r) => [r[0]!, r[5]!]));
    const pi = fleissKappa(categoryCounts(data).counts);
    const n = 2 * data.length;
    near(krippendorffAlpha(data), 1 - ((n - 1) / n) * (1 - pi), 12, 'alpha vs pi');
  });

  it('observed agreement: the share of agreeing pairs (two annotators: the share of samples labeled alike)', () => {
    assert.equal(observedAgreement([['a', 'a'], ['a', 'b'], ['b', 'b'], ['c']]), 2 / 3);
    // Three annotators a, a, b: 2 of the 6 ordered pairs agree.
    assert.equal(observedAgreement([['a', 'a', 'b']]), 2 / 6);
    assert.ok(Number.isNaN(observedAgreement([['a'], []])), 'nothing decided twice: undefined');
  });

  it('undefined when every decision is the same label (chance agreement is 1), never a division by zero', () => {
    assert.ok(Number.isNaN(cohenKappaOfTable([[5]])));
    assert.ok(Number.isNaN(fleissKappa([[3], [3]])));
    assert.ok(Number.isNaN(krippendorffAlpha([['a', 'a'], ['a', 'a']])));
    assert.ok(Number.isNaN(cohenKappaOfTable([])));
    assert.throws(() => fleissKappa([[1, 1], [2, 1]]), /same raters/);
  });
});
