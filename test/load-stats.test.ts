// The chi-square p-value against closed forms and published critical values.
import { describe, expect, it } from 'vitest';
import {
  chiSquareSf,
  chiSquareTest,
  lnGamma,
  regularizedGammaP,
  regularizedGammaQ,
} from '../src/load/stats.js';

/** Survival function for even df in closed form: e^(-x/2) Σ_{i<df/2} (x/2)^i / i!. */
function evenDfSf(x: number, df: number): number {
  let term = 1;
  let sum = 1;
  for (let i = 1; i < df / 2; i++) {
    term *= x / 2 / i;
    sum += term;
  }
  return Math.exp(-x / 2) * sum;
}

const close = (actual: number, expected: number, rel = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));

describe('lnGamma', () => {
  it('matches log factorials and Γ(1/2) = √π', () => {
    let fact = 1;
    for (let n = 1; n <= 30; n++) {
      close(lnGamma(n + 1), Math.log((fact *= n)), 1e-12);
    }
    close(lnGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12);
    close(lnGamma(0.1), Math.log(9.513507698668732), 1e-12);
    expect(() => lnGamma(0)).toThrow(RangeError);
  });
});

describe('chi-square survival function', () => {
  it('hits the published critical values', () => {
    // [x, df, p] from standard chi-square tables (scipy.stats.chi2.isf).
    const table: [number, number, number][] = [
      [3.841458820694124, 1, 0.05],
      [6.634896601021214, 1, 0.01],
      [10.827566170662733, 1, 0.001],
      [5.991464547107979, 2, 0.05],
      [7.814727903251178, 3, 0.05],
      [18.307038053275146, 10, 0.05],
      [124.34211340400407, 100, 0.05],
    ];
    for (const [x, df, p] of table) close(chiSquareSf(x, df), p, 1e-8);
  });

  it('equals the closed form for even df, near 0 and deep in the tail', () => {
    for (const df of [2, 4, 10, 30]) {
      for (const x of [0.01, 0.5, 1, 3, df - 1, df, df + 1, 20, 80, 300, 1000]) {
        close(chiSquareSf(x, df), evenDfSf(x, df), 1e-10);
      }
    }
    expect(chiSquareSf(1000, 2)).toBeGreaterThan(0); // e^-500 ≈ 7e-218, not rounded to 0
  });

  it('is P(|Z| > 2) for x = 4 with df 1, and bounded', () => {
    close(chiSquareSf(4, 1), 0.0455002638963584, 1e-10);
    close(chiSquareSf(36, 1), 1.9731752900753e-9, 1e-8);
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(Infinity, 3)).toBe(0);
    for (const [a, x] of [
      [0.5, 0.2],
      [3, 2],
      [3, 7],
      [50, 45],
    ]) {
      close(regularizedGammaP(a, x) + regularizedGammaQ(a, x), 1, 1e-12);
    }
  });
});

describe('chiSquareTest', () => {
  it('tests observed counts against weights', () => {
    expect(chiSquareTest([50, 50], [1, 1])).toMatchObject({ statistic: 0, df: 1, pValue: 1 });
    const t = chiSquareTest([60, 40], [1, 1]);
    expect(t.statistic).toBeCloseTo(4, 12);
    close(t.pValue, 0.0455002638963584, 1e-10);
    // Expected [25, 50, 25]: (5²/25) + 0 + (5²/25) = 2; df 2: p = e^-1.
    const w = chiSquareTest([30, 50, 20], [1, 2, 1]);
    expect(w.statistic).toBeCloseTo(2, 12);
    close(w.pValue, Math.exp(-1), 1e-12);
    expect(w.expected).toEqual([25, 50, 25]);
    expect(chiSquareTest([10, 0], [1, 0]).pValue).toBe(1);
    expect(chiSquareTest([10, 1], [1, 0]).statistic).toBe(Infinity);
    expect(chiSquareTest([10, 1], [1, 0]).pValue).toBe(0);
  });

  it('rejects inputs that are not counts', () => {
    expect(() => chiSquareTest([1, 2], [1])).toThrow(RangeError);
    expect(() => chiSquareTest([1, -2], [1, 1])).toThrow(RangeError);
    expect(() => chiSquareTest([1, 2], [0, 0])).toThrow(RangeError);
  });
});
