import { quantile, rate, spread } from "../src/stats.js";

describe("spread", () => {
  test("quartiles by linear interpolation, whatever the input order", () => {
    expect(spread([4, 1, 3, 2])).toEqual({
      n: 4,
      min: 1,
      p25: 1.75,
      median: 2.5,
      p75: 3.25,
      max: 4,
      mean: 2.5,
    });
    expect(spread([10, 30, 20, 50, 40])).toEqual({
      n: 5,
      min: 10,
      p25: 20,
      median: 30,
      p75: 40,
      max: 50,
      mean: 30,
    });
  });

  test("one sample is its own spread", () => {
    expect(spread([7])).toEqual({ n: 1, min: 7, p25: 7, median: 7, p75: 7, max: 7, mean: 7 });
  });

  test("no samples give NaN, not zero", () => {
    const s = spread([]);
    expect(s.n).toBe(0);
    expect([s.min, s.p25, s.median, s.p75, s.max, s.mean].every(Number.isNaN)).toBe(true);
  });

  test("quantile of sorted values", () => {
    expect(quantile([0, 10], 0.1)).toBeCloseTo(1);
    expect(quantile([0, 10, 20], 1)).toBe(20);
  });
});

describe("rate", () => {
  test("counts, and is NaN when nothing was counted", () => {
    expect(rate(19, 20)).toBe(0.95);
    expect(rate(0, 0)).toBeNaN();
  });
});
