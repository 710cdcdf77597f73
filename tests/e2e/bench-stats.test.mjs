// The bench's statistics (bench/stats.mjs) in node: the ratio of median
// overheads and its bootstrap range, which the bench prints beside each
// cold ratio so that a miss by less than the noise reads as such.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { median, ratioWithRange, summedRatioWithRange } from '../../bench/stats.mjs';

test('median: the middle value, the mean of the two middle ones for an even count, missing values left out', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([null, 7, undefined, 9]), 8);
  assert.ok(Number.isNaN(median([null])));
});

test('the ratio is of overheads over no recorder, and runs without spread give a range of that one value', () => {
  const result = ratioWithRange({ rewind: [300, 300, 300], rrweb: [500, 500, 500], none: [100, 100, 100] });
  assert.deepEqual(result, { ratio: 0.5, low: 0.5, high: 0.5 });
});

test('noisy runs give a range around the ratio, wider for noisier runs, and the same range for the same runs', () => {
  const quiet = { rewind: [290, 300, 310, 295, 305], rrweb: [490, 500, 510, 495, 505], none: [98, 100, 102, 99, 101] };
  const noisy = { rewind: [200, 300, 420, 250, 360], rrweb: [400, 500, 620, 450, 560], none: [60, 100, 150, 80, 120] };
  const a = ratioWithRange(quiet);
  const b = ratioWithRange(noisy);
  assert.equal(a.ratio, 0.5);
  assert.ok(a.low <= a.ratio && a.ratio <= a.high, JSON.stringify(a));
  assert.ok(b.low <= b.ratio && b.ratio <= b.high, JSON.stringify(b));
  assert.ok(b.high - b.low > 2 * (a.high - a.low), `noisy ${JSON.stringify(b)} against quiet ${JSON.stringify(a)}`);
  assert.deepEqual(ratioWithRange(noisy), b);
});

test('a resample where rrweb costs no more than no recorder counts as unbounded, not as a small ratio', () => {
  const result = ratioWithRange({ rewind: [120, 130, 125], rrweb: [100, 160, 105], none: [110, 100, 150] });
  assert.equal(result.high, Infinity);
});

test('bad input says what was wrong and what is allowed', () => {
  assert.throws(() => ratioWithRange({ rewind: [], rrweb: [1], none: [1] }), /rewind must be a non-empty array of finite numbers, got \[\]/);
  assert.throws(() => ratioWithRange({ rewind: [1], rrweb: [1, NaN], none: [1] }), /rrweb must be a non-empty array of finite numbers/);
  assert.throws(() => ratioWithRange({ rewind: [1], rrweb: [2], none: [1] }, { level: 80 }), /level must be between 0 and 1, got 80/);
});

test('the total sums overheads across scenarios before dividing, as the TOTAL row does', () => {
  const small = { rewind: [150, 150, 150], rrweb: [120, 120, 120], none: [100, 100, 100] };
  const large = { rewind: [600, 600, 600], rrweb: [1100, 1100, 1100], none: [100, 100, 100] };
  // (50 + 500) / (20 + 1000), not the mean of 2.5 and 0.5.
  assert.deepEqual(summedRatioWithRange([small, large]), { ratio: 550 / 1020, low: 550 / 1020, high: 550 / 1020 });
  assert.throws(() => summedRatioWithRange([]), /groups must be a non-empty array/);
});
