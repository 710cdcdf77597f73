// `npm run soak`: a tab open all day, compressed into about 10 minutes
// (SOAK_MINUTES to change it, 2 to 120). Prints the memory curve and the
// checks, writes everything to test-results/soak.json and exits non-zero
// when an invariant broke. The code is bench/soak-harness.mjs, which the
// short run in `npm test` (tests/e2e/soak.test.mjs) shares.
import fs from 'node:fs/promises';
import path from 'node:path';

import { repoRoot } from '../tests/support/static-server.mjs';
import { checkSoak, equivalence, formatSummary, memoryFigures, profileFromEnv, rotations, runSoak } from './soak-harness.mjs';

let profile;
try {
  profile = profileFromEnv('full');
} catch (error) {
  console.error(error.message);
  process.exit(2);
}

try {
  await fs.access(path.join(repoRoot, 'dist/rewind.js'));
} catch {
  console.error('soak: dist/rewind.js is missing; run `npm run build` first');
  process.exit(2);
}

const plan = equivalence(profile);
console.log(
  `soak: ${(profile.durationMs / 60000).toFixed(1)} min, the equivalent of ${plan.flushHours.toFixed(1)} h of 5 s flushes ` +
    `(${plan.flushTicks} ticks of ${profile.rewind.flushIntervalMs} ms), ${plan.checkouts} checkouts, about ${plan.plannedRotations} session rotations; ` +
    `a sample every ${profile.sampleEveryMs / 1000} s, warm-up ${profile.warmupMs / 1000} s`,
);

// The harness bounds every step; this bounds the whole run on top.
const limitMs = profile.durationMs + 5 * 60000;
const watchdog = setTimeout(() => {
  console.error(`soak: still running ${limitMs / 60000} min after it started; giving up`);
  process.exit(3);
}, limitMs);
watchdog.unref();

const report = await runSoak(profile, { log: (line) => console.log(line) });
const checks = checkSoak(report, { memory: true });
console.log('');
console.log(formatSummary(report, checks));

const out = path.join(repoRoot, 'test-results/soak.json');
await fs.mkdir(path.dirname(out), { recursive: true });
await fs.writeFile(
  out,
  JSON.stringify(
    {
      at: new Date().toISOString(),
      profile: report.profile,
      runMs: report.runMs,
      wallMs: report.wallMs,
      equivalence: equivalence(profile, { chunks: report.samples.at(-1).chunks, events: report.samples.at(-1).events, rotations: rotations(report) }),
      memory: memoryFigures(report),
      samples: report.samples,
      replays: report.ingest.replays,
      ended: report.ended,
      driver: report.driver,
      pageErrors: report.pageErrors,
      rewindMessages: report.rewindMessages,
      checks,
    },
    null,
    2,
  ),
);
console.log(`\nwritten: ${path.relative(process.cwd(), out)}`);

const failed = checks.filter((entry) => !entry.ok);
if (failed.length) {
  console.error(`\nsoak FAILED: ${failed.map((entry) => entry.name).join('; ')}`);
  process.exit(1);
}
console.log('\nsoak passed');
