// Chi-square goodness of fit with a proper p-value: the upper regularized incomplete gamma
// function Q(df/2, x/2), computed by series or continued fraction (Numerical Recipes §6.2).

const EPS = 1e-15;
const FPMIN = 1e-300;
const MAX_ITER = 10_000;

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7; ~15 significant digits). */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma: x must be > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** P(a, x) by its power series; converges fast for x < a + 1. */
function seriesP(a: number, x: number): number {
  let ap = a;
  let del = 1 / a;
  let sum = del;
  for (let n = 0; n < MAX_ITER; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
  }
  throw new Error(`regularized gamma: series did not converge (a=${a}, x=${x})`);
}

/** Q(a, x) by its continued fraction (modified Lentz); converges fast for x >= a + 1. */
function continuedFractionQ(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
  }
  throw new Error(`regularized gamma: continued fraction did not converge (a=${a}, x=${x})`);
}

/** Lower regularized incomplete gamma P(a, x) = γ(a, x) / Γ(a). */
export function regularizedGammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError(`regularizedGammaP: need a > 0, x >= 0 (a=${a}, x=${x})`);
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? seriesP(a, x) : 1 - continuedFractionQ(a, x);
}

/** Upper regularized incomplete gamma Q(a, x) = 1 - P(a, x), accurate far into the tail. */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError(`regularizedGammaQ: need a > 0, x >= 0 (a=${a}, x=${x})`);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - seriesP(a, x) : continuedFractionQ(a, x);
}

/** Survival function of the chi-square distribution: P(X >= x) with `df` degrees of freedom. */
export function chiSquareSf(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`chiSquareSf: df must be > 0, got ${df}`);
  if (x <= 0) return 1;
  return regularizedGammaQ(df / 2, x / 2);
}

export interface ChiSquareResult {
  statistic: number;
  df: number;
  /** P(X >= statistic) under the expected proportions; 1 when there is nothing to test (df 0). */
  pValue: number;
  /** Expected counts per category. */
  expected: number[];
  /** Smallest expected count: below 5 the chi-square approximation is rough. */
  minExpected: number;
}

/** Pearson's chi-square goodness-of-fit test of observed counts against expected proportions (any scale). */
export function chiSquareTest(observed: number[], weights: number[]): ChiSquareResult {
  if (observed.length !== weights.length)
    throw new RangeError('chiSquareTest: observed and weights differ in length');
  if (weights.some((w) => !(w >= 0)) || observed.some((o) => !(o >= 0)))
    throw new RangeError('chiSquareTest: counts and weights must be >= 0');
  const total = observed.reduce((s, o) => s + o, 0);
  const wsum = weights.reduce((s, w) => s + w, 0);
  if (!(wsum > 0)) throw new RangeError('chiSquareTest: weights sum to 0');
  const expected = weights.map((w) => (total * w) / wsum);
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i];
    if (e === 0) {
      if (observed[i] > 0) statistic = Infinity;
      continue;
    }
    statistic += (observed[i] - e) ** 2 / e;
  }
  const df = observed.length - 1;
  const pValue = df < 1 || total === 0 ? 1 : chiSquareSf(statistic, df);
  return { statistic, df, pValue, expected, minExpected: Math.min(...expected) };
}
