// miniz_oxide, flate2's deflate backend, compiled for the one
// configuration rewind compresses with, for the shipped wasm only.
//
// miniz_oxide decides at run time, from the flags a level and format give,
// which of its three compressors runs (stored, fast greedy, normal lazy),
// whether to write a zlib header and Adler-32 trailer, whether to look
// for runs only, to filter short matches, or to force static blocks. The
// flags live in the compressor's state, so the optimizer cannot know them
// and every path ships. rewind only ever asks flate2 for raw deflate at
// one level (`Compress::new(Compression::new(6), false)` in
// src/core/chunk.rs). Here each read of those flags in miniz_oxide's
// deflate becomes a constant computed from that level by miniz_oxide's own
// `create_comp_flags_from_zip_params`, the function flate2's set-up calls,
// so the paths those flags never take fold away: 1,558 B of gzip on
// December 5 (the fast compressor, the stored one, Adler-32, the zlib
// header and trailer, the run-length matcher).
//
// The output is byte for byte what the unchanged crate writes at that
// level: the flags are the same, only known sooner. Nothing else of the
// crate changes, and its source is the one Cargo.lock pins, from the
// registry; it is copied under target/ and changed there, never kept in
// this repository.
//
//   node scripts/fixed-deflate.mjs
// prepares target/fixed-deflate/miniz_oxide and prints the cargo argument
// that patches it in (scripts/build.sh, scripts/wasm-sizes.mjs). `cargo
// test` and `wasm-pack test` keep the unchanged crate. The script fails,
// saying why, if the crate or rewind's call is not of the shape it knows.

import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CRATE = 'miniz_oxide';
// How many times the deflate reads its flags, and its greedy-parsing
// switch, in the version this was written against (0.9.1). Another count
// means the crate changed and the rewrite must be looked at again.
const FLAG_READS = 15;
const GREEDY_READS = 1;

function fail(message) {
  throw new Error(`scripts/fixed-deflate.mjs: ${message}`);
}

/** The level and format rewind asks flate2 for, read from its one call. */
function rewindsConfiguration() {
  const chunk = readFileSync(path.join(repoRoot, 'src/core/chunk.rs'), 'utf8');
  const calls = [...chunk.matchAll(/Compress::new\(Compression::new\((\d+)\), (true|false)\)/g)];
  if (calls.length !== 1) {
    fail(`expected one \`Compress::new(Compression::new(<level>), <zlib header>)\` in src/core/chunk.rs, found ${calls.length}; the deflate can only be fixed to one configuration`);
  }
  const level = Number(calls[0][1]);
  const zlibHeader = calls[0][2] === 'true';
  if (level < 1 || level > 9) fail(`level ${level} in src/core/chunk.rs: only 1 to 9 can be fixed`);
  // flate2 asks for a raw stream as negative window bits, a zlib one as
  // positive (miniz_oxide's DataFormat::to_window_bits).
  return { level, windowBits: zlibHeader ? 15 : -15 };
}

/** miniz_oxide's source as Cargo.lock pins it, from cargo's registry copy. */
function registrySource() {
  const metadata = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--locked'], {
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  }));
  const found = metadata.packages.filter((p) => p.name === CRATE && p.source?.startsWith('registry+'));
  if (found.length !== 1) fail(`expected one ${CRATE} from the registry in Cargo.lock, found ${found.length}`);
  return { dir: path.dirname(found[0].manifest_path), version: found[0].version };
}

/** Prepares the fixed copy; returns cargo's arguments that patch it in. */
export function prepareFixedDeflate() {
  const { level, windowBits } = rewindsConfiguration();
  const { dir, version } = registrySource();
  const out = path.join(repoRoot, 'target/fixed-deflate', CRATE);
  rmSync(out, { recursive: true, force: true });
  cpSync(dir, out, { recursive: true });
  const corePath = path.join(out, 'src/deflate/core.rs');
  let core = readFileSync(corePath, 'utf8');
  const count = (text) => core.split(text).length - 1;
  if (count('d.params.flags') !== FLAG_READS || count('d.params.greedy_parsing') !== GREEDY_READS) {
    fail(`${CRATE} ${version}'s deflate reads its flags ${count('d.params.flags')} times and its greedy switch ${count('d.params.greedy_parsing')} (expected ${FLAG_READS} and ${GREEDY_READS}, as in 0.9.1); check the rewrite against it`);
  }
  if (!core.includes('pub const fn create_comp_flags_from_zip_params(')) {
    fail(`${CRATE} ${version} has no const create_comp_flags_from_zip_params`);
  }
  core = core
    .replaceAll('d.params.flags', 'REWIND_FLAGS')
    .replaceAll('d.params.greedy_parsing', '(REWIND_FLAGS & TDEFL_GREEDY_PARSING_FLAG != 0)');
  core += `
/// Written by rewind's scripts/fixed-deflate.mjs: the flags of the one
/// configuration rewind compresses with (level ${level}, window bits ${windowBits}),
/// read by the deflate in place of the compressor's own.
const REWIND_FLAGS: u32 = create_comp_flags_from_zip_params(${level}, ${windowBits}, 0);
`;
  writeFileSync(corePath, core);
  // Cargo takes the path as TOML, so quoted.
  return ['--config', `patch.crates-io.${CRATE}.path=${JSON.stringify(out)}`];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(prepareFixedDeflate().join('\n'));
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
