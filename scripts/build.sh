#!/usr/bin/env bash
# Builds the npm package (pkg/) and the script-tag bundle (dist/), then
# prints their sizes. Needs scripts/setup.sh to have run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n[build] %s\n' "$*"; }

# REWIND_PROFILING=1 keeps the wasm's function names (wasm-pack's
# --profiling: release code, names kept; wasm-opt then keeps them too), for
# `npm run bench:profile`. Never ship such a build.
profile=--release
strip_names=--strip-debug
if [ "${REWIND_PROFILING:-0}" = 1 ]; then profile=--profiling; strip_names=--debuginfo; export CARGO_PROFILE_RELEASE_STRIP=none; fi
# std rebuilt with the crate, panics aborting at once (the reasons are in
# scripts/release-std.sh).
source scripts/release-std.sh
# flate2's backend compiled for the one level and format rewind uses
# (scripts/fixed-deflate.mjs says how and why). Patching a crate makes cargo
# rewrite Cargo.lock (the patched crate has no registry checksum), so the
# lock is put back as it was after the build, whatever its outcome.
mapfile -t fixed_deflate < <(node scripts/fixed-deflate.mjs)
[ "${#fixed_deflate[@]}" -gt 0 ] || { echo "scripts/fixed-deflate.mjs failed" >&2; exit 1; }
cp Cargo.lock target/fixed-deflate/Cargo.lock.kept
trap 'cp target/fixed-deflate/Cargo.lock.kept Cargo.lock' EXIT
step "wasm-pack build $profile --target web -> pkg/ (std: $REWIND_STD_ARGS; ${fixed_deflate[*]})"
# shellcheck disable=SC2086 # REWIND_STD_ARGS is a list of cargo arguments
wasm-pack --quiet build $profile --target web --out-dir pkg --out-name rewind . -- $REWIND_STD_ARGS "${fixed_deflate[@]}"
if [ "${REWIND_PROFILING:-0}" = 1 ]; then
  # wasm-pack drops the name section even when profiling; bind again, keeping it.
  wasm-bindgen --target web --out-dir pkg --out-name rewind --keep-debug \
    target/wasm32-unknown-unknown/release/rewind.wasm
fi

# npm's binaryen rather than wasm-pack's own download (which needs the open
# internet). -Oz: size first; --converge repeats it until nothing shrinks
# (166 B gzip on December 2). The enabled features are the ones rustc's
# wasm32 target already emits, so the output runs wherever the input did.
# The target_features section is for wasm-bindgen, which has run; browsers
# ignore it (148 B).
# What gzip -9 makes of the result, not its raw size, is what a page
# downloads, and three of -Oz's steps that shrink the raw module make its
# gzip larger (measured on December 4's build, 64,423 B gzip with all):
# - inlining every function that has one caller, however large: an inlined
#   body takes its caller's numbering of locals, and bodies that matched
#   each other no longer do. Inlining only those of at most N instructions
#   (-ocimfs=15N): N = 100, 40, 15 took 1,323, 1,810 and 2,256 B of gzip
#   (with the two below) for 56, 151 and 260 more functions. A function is
#   compiled on its first call, on the main thread, for about 0.01 to 0.03
#   ms each: a 1k-node snapshot compiled 345, 416 and 479 functions
#   (default, 40, 15). 40 was the middle of that trade. Since the
#   wasm is compiled and warmed in a worker first (js/warm.js), the main
#   thread compiles only what the worker's stand-in page never ran: 29 to
#   37 functions at 40 and 34 at 15, 0.5 to 1.3 ms in either (December 5,
#   1k-node snapshot, 3 cold runs each), and a cold A/B of the two builds
#   (6 runs each of 1k and 100k snapshots, 5k moves, 10k adds and text
#   churn) gave 15's task time 0.91 to 0.98 of 40's. So 15 now: with the
#   functions in gzip's order (below), 369 B less than 40.
# - merge-similar-functions, which turns functions that differ in a
#   constant into one with a parameter and thunks;
# - local-cse, which keeps a repeated expression in a new local.
WASM_FEATURES="--enable-bulk-memory --enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int --enable-multivalue"
# --low-memory-unused lets wasm-opt fold a constant added to an address
# into the load's or store's offset (`load offset=8 (p)` for `load (p + 8)`),
# which is sound only if no access ever lands in memory's first 1 KB: the
# two differ only when p + 8 wraps past 2^32 to a low address. Rust lays out
# the wasm with the stack first (the stack pointer starts at 1 MB and grows
# down, the data and heap lie above it), so the first 1 KB is the bottom of
# a stack 1 MB deep, which rewind never nears: the snapshot walk and the
# emit keep their own stacks on the heap, and the only recursions left are
# a shadow root's event (one level) and a frame inside a frame (one level
# per nesting). 182 B of gzip on December 5.
WASM_OPT_GZIP_ARGS="-ocimfs=15 --skip-pass=merge-similar-functions --skip-pass=local-cse --low-memory-unused"
step "wasm-opt -Oz --converge $WASM_OPT_GZIP_ARGS pkg/rewind_bg.wasm"
node_modules/.bin/wasm-opt -Oz --converge $WASM_OPT_GZIP_ARGS $strip_names --strip-producers --strip-target-features \
  $WASM_FEATURES pkg/rewind_bg.wasm -o pkg/rewind_bg.wasm

# The script-tag bundle ships the module packed (js/unpack.js says why),
# unpacked in its worker by a decoder of its own, written in Rust
# (unpack/) and carried deflated in the packed file; the packer is the
# same crate, built natively. The decoder's own flags: none of the main
# crate's std rebuild but core's, with panics as a trap (its bounds checks
# then pull in no formatting: 3.5 KB rather than 4.8), and a 16 KB stack;
# wasm-opt inlines no large function into its one caller (-ocimfs=50), so
# that V8 can optimize the per-bit functions while the decoder runs
# (unpack/src/lib.rs, `predict`).
step "decoder and packer (unpack/) -> target/unpack/"
(
  export RUSTC_BOOTSTRAP=1
  export RUSTFLAGS="-Clink-arg=-zstack-size=16384 -Zunstable-options -Cpanic=immediate-abort"
  cargo build --quiet --release --lib --target wasm32-unknown-unknown --manifest-path unpack/Cargo.toml --target-dir target/unpack -Zbuild-std=core
)
(
  unset RUSTC_BOOTSTRAP RUSTFLAGS
  cargo build --quiet --release --bin pack --manifest-path unpack/Cargo.toml --target-dir target/unpack
)
# shellcheck disable=SC2086 # WASM_FEATURES is a list of flags
node_modules/.bin/wasm-opt -Oz --converge -ocimfs=50 --strip-debug --strip-producers --strip-target-features $WASM_FEATURES \
  target/unpack/wasm32-unknown-unknown/release/rewind_unpack.wasm -o target/unpack/unpack.wasm

if [ "${REWIND_PROFILING:-0}" != 1 ]; then
  step "short import and export names -> pkg/rewind_bg.wasm, pkg/rewind.js"
  node scripts/minify-interface.mjs pkg/rewind_bg.wasm pkg/rewind.js
  # The order of the functions changes only what gzip makes of them (925 B
  # less on December 5; scripts/order-functions.mjs says how). After the
  # names are short, so that it measures the file shipped. A profiling
  # build keeps its real names instead.
  step "functions in a gzip-friendly order -> pkg/rewind_bg.wasm"
  # shellcheck disable=SC2086 # WASM_FEATURES is a list of flags
  node scripts/order-functions.mjs pkg/rewind_bg.wasm pkg/rewind_bg.wasm node_modules/.bin/wasm-opt $WASM_FEATURES
fi
step "npm package entry -> pkg/"
node scripts/package-npm.mjs

step "webpack -> dist/"
node scripts/bundle.mjs

# V8 compiles the bundle eagerly, off the main thread, only when its hint
# is the file's very first line (webpack.config.js says why it is there).
if [ "$(head -n 1 dist/rewind.js)" != "//# allFunctionsCalledOnLoad" ]; then
  echo "[build] dist/rewind.js does not begin with V8's compile hint (//# allFunctionsCalledOnLoad): see webpack.config.js" >&2
  exit 1
fi

step "snippet -> dist/snippet.min.js"
node scripts/snippet.mjs

step "sizes"
for file in dist/snippet.min.js dist/rewind.js dist/rewind_bg.wasm dist/rewind_bg.wasm.packed; do
  printf '  %-26s %8d bytes raw %8d bytes gzip\n' "$file" "$(wc -c < "$file")" "$(gzip -9 -c "$file" | wc -c)"
done
# The size budget (README, "Build and size"): what a page downloads to
# record, the JS as gzip -9 and the module as the packed file it fetches
# (which no server's compression makes smaller). A build over it fails, so
# growth is a decision: 64,000 B, the most issue 14 allows. Beside it, the
# same with the module as gzip -9,
# what a page downloads where the packed file cannot be used (the npm
# package's module, a browser without workers).
budget=64000
js=$(gzip -9 -c dist/rewind.js | wc -c)
total=$(( js + $(wc -c < dist/rewind_bg.wasm.packed) ))
printf '  %-26s %8d bytes, budget %d (with the module as gzip -9: %d)\n' "JS gzip + wasm packed" "$total" "$budget" "$(( js + $(gzip -9 -c dist/rewind_bg.wasm | wc -c) ))"
if [ "${REWIND_PROFILING:-0}" != 1 ] && [ "$total" -gt "$budget" ]; then
  echo "[build] JS + wasm is $total bytes (JS gzip -9, wasm packed), over the budget of $budget (README, Build and size)" >&2
  exit 1
fi
printf '\n[build] done in %d s\n' "$SECONDS"
