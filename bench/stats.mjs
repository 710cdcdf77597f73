// The bench's statistics: medians, and how far a rewind/rrweb ratio could
// move with other runs of the same builds on the same machine.
//
// A ratio of overheads, (rewind - none) / (rrweb - none), of medians over
// a few runs each, moves by 0.2 to 0.3 on the small scenarios from one
// bench run to the next here: their overheads are 150 to 400 ms beside a
// no-recorder baseline of several hundred. One number cannot say whether
// 0.93 misses 0.9 or is 0.9 with noise on it. The range does: each
// recorder's runs resampled with replacement (a bootstrap), the ratio taken
// again each time, and the middle 80% of those ratios kept.

/**
 * Of an even count, the mean of the two middle values. Values that are
 * null or undefined (a run without the value: no wasm for rrweb) are left
 * out; NaN when none is left.
 */
export function median(values) {
  const sorted = values.filter((value) => value !== null && value !== undefined).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** A small seeded generator (mulberry32), so a bench.json gives the same range every time it is summarized. */
function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * The ratio of overheads of medians, `(median(rewind) - median(none)) /
 * (median(rrweb) - median(none))`, and its bootstrap range: `[low, high]`
 * holding the middle `level` of `resamples` ratios, each from the three
 * samples resampled with replacement. A resample whose rrweb overhead is
 * not positive says nothing about the ratio and counts as unbounded
 * (Infinity), so a noisy baseline widens the range instead of hiding.
 */
export function ratioWithRange(samples, options) {
  return summedRatioWithRange([samples], options);
}

/**
 * The same over several scenarios at once: the sum of rewind's overheads
 * over the sum of rrweb's (the bench's TOTAL row), each scenario's runs
 * resampled on their own.
 */
export function summedRatioWithRange(groups, { resamples = 2000, level = 0.8, seed = 14 } = {}) {
  if (!Array.isArray(groups) || groups.length === 0) throw new TypeError('summedRatioWithRange: groups must be a non-empty array of { rewind, rrweb, none }');
  for (const group of groups) {
    for (const name of ['rewind', 'rrweb', 'none']) {
      const values = group?.[name];
      if (!Array.isArray(values) || values.length === 0 || !values.every(Number.isFinite)) {
        throw new TypeError(`bench stats: ${name} must be a non-empty array of finite numbers, got ${JSON.stringify(values)}`);
      }
    }
  }
  if (!(level > 0 && level < 1)) throw new RangeError(`bench stats: level must be between 0 and 1, got ${level}`);
  const ratioOf = (picked) => {
    let rewind = 0;
    let rrweb = 0;
    for (const group of picked) {
      const base = median(group.none);
      rewind += median(group.rewind) - base;
      rrweb += median(group.rrweb) - base;
    }
    return rrweb > 0 ? rewind / rrweb : Infinity;
  };
  const random = seeded(seed);
  const resample = (values) => values.map(() => values[Math.floor(random() * values.length)]);
  const ratios = [];
  for (let i = 0; i < resamples; i++) {
    ratios.push(ratioOf(groups.map((group) => ({ rewind: resample(group.rewind), rrweb: resample(group.rrweb), none: resample(group.none) }))));
  }
  ratios.sort((a, b) => a - b);
  const at = (q) => ratios[Math.min(ratios.length - 1, Math.max(0, Math.round(q * (ratios.length - 1))))];
  return { ratio: ratioOf(groups), low: at((1 - level) / 2), high: at((1 + level) / 2) };
}
